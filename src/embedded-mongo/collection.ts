// One collection: documents in insertion order keyed by their canonical _id,
// its indexes, and the only three ways documents change (insert, replace,
// remove), each of which enforces every unique index before touching state
// and keeps the equality lookups (postings.ts) up to date. A durable store
// gives it a journal that records each change; the collection stays the
// query engine either way.
import { ObjectId } from './bson.ts';
import { MongoError, badValue } from './errors.ts';
import { Index, duplicateKeyError, type IndexSpec } from './indexes.ts';
import { NO_LAZY_FIELDS, filterReadsBody, hydrate, type LazyFields } from './lazy-bodies.ts';
import type { CollectionJournal } from './persistence/journal.ts';
import { Postings, postingKey } from './postings.ts';
import { Matcher } from './query.ts';
import { isPlainObject, keyOf, type Doc } from './values.ts';

export const ID_INDEX: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

/** Below this share of the collection a posting list beats a scan in natural order. */
const POSTINGS_MAX_SHARE = 0.5;

export interface CollectionOptions {
  /** Kept across restarts by a durable store; new collections get a fresh one. */
  uuid?: string;
  journal?: CollectionJournal;
}

export class Collection {
  readonly docs = new Map<string, Doc>();
  readonly indexes: Index[] = [];
  readonly uuid: string;
  private readonly journal: CollectionJournal | undefined;
  /** Natural (insertion) order of each id key, to return posted candidates in scan order. */
  private readonly positions = new Map<string, number>();
  private nextPosition = 0;
  /** By path: the fields of the secondary indexes. */
  private readonly postings = new Map<string, Postings>();
  /** The top-level fields the indexes read (kept in every skeleton); undefined: any field. */
  private pinned: Set<string> | undefined = new Set(['_id']);

  constructor(
    readonly db: string,
    readonly name: string,
    options: CollectionOptions = {},
  ) {
    this.uuid = options.uuid ?? crypto.randomUUID();
    this.journal = options.journal;
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  /** The fields some documents have left on disk: filters, sorts and distincts on them hydrate. */
  get lazyFields(): LazyFields {
    return this.journal?.lazyFields ?? NO_LAZY_FIELDS;
  }

  private memoryForm(idKey: string, doc: Doc): Doc {
    return this.journal ? this.journal.memoryForm(idKey, doc, this.pinned) : doc;
  }

  specs(): IndexSpec[] {
    return [ID_INDEX, ...this.indexes.map((i) => i.spec)];
  }

  /** Inserts a document (given _id first if missing); returns the stored (full) document. */
  insert(input: Doc): Doc {
    const doc = prepareForInsert(input);
    const idKey = keyOf(doc._id);
    if (this.docs.has(idKey))
      throw duplicateKeyError(this.ns, '_id_', { _id: 1 }, { _id: doc._id });
    const kept = this.memoryForm(idKey, doc);
    for (const index of this.indexes) index.check(kept, idKey, this.ns);
    // Every check passed: from here on nothing fails but the journal's own write.
    this.journal?.inserted(idKey, this.nextPosition, doc);
    for (const index of this.indexes) index.add(kept, idKey);
    for (const postings of this.postings.values()) postings.add(kept, idKey);
    this.docs.set(idKey, kept);
    this.positions.set(idKey, this.nextPosition++);
    return doc;
  }

  replace(old: Doc, next: Doc): void {
    const idKey = keyOf(old._id);
    // The caller may hold the full form of a skeleton: the indexes know the stored one.
    const current = this.docs.get(idKey) ?? old;
    const kept = this.memoryForm(idKey, next);
    const affected = this.indexes.filter((index) => !index.unchangedBy(current, kept));
    for (const index of affected) index.check(kept, idKey, this.ns);
    this.journal?.replaced(idKey, next);
    for (const index of affected) {
      index.remove(current, idKey);
      index.add(kept, idKey);
    }
    for (const postings of this.postings.values()) postings.replace(current, kept, idKey);
    this.docs.set(idKey, kept);
  }

  remove(doc: Doc): void {
    const idKey = keyOf(doc._id);
    const current = this.docs.get(idKey) ?? doc;
    this.journal?.removed(idKey);
    for (const index of this.indexes) index.remove(current, idKey);
    for (const postings of this.postings.values()) postings.remove(current, idKey);
    this.docs.delete(idKey);
    this.positions.delete(idKey);
  }

  /**
   * Puts back a document read from disk at open, in its stored form and
   * natural position; the indexes are restored after all documents.
   */
  restoreDocument(idKey: string, position: number, kept: Doc): void {
    this.docs.set(idKey, kept);
    this.positions.set(idKey, position);
    if (position >= this.nextPosition) this.nextPosition = position + 1;
  }

  /** Re-builds an index read from disk at open (its documents were valid when it was saved). */
  restoreIndex(spec: IndexSpec): void {
    this.buildIndex(spec);
  }

  /** Adds a secondary index, failing with E11000 if existing documents violate it. */
  addIndex(spec: IndexSpec): void {
    this.buildIndex(spec);
    this.journal?.indexesChanged(this.indexes.map((index) => index.spec));
  }

  private buildIndex(spec: IndexSpec): void {
    const index = new Index(spec);
    this.pinFieldsOf(index);
    for (const [idKey, doc] of this.docs) {
      try {
        index.check(doc, idKey, this.ns);
      } catch (error) {
        if (error instanceof MongoError && error.code === 11000) {
          throw new MongoError(
            11000,
            `Index build failed: ${this.uuid}: Collection ${this.ns} ( ${this.uuid} ) :: caused by :: ${error.message}`,
            error.extra,
          );
        }
        throw error;
      }
      index.add(doc, idKey);
    }
    this.indexes.push(index);
    this.syncPostings();
  }

  /**
   * Keeps the fields a new index reads in every skeleton: documents that left
   * one of them on disk are stored again with it in memory (inside the
   * command's transaction), before the index reads them.
   */
  private pinFieldsOf(index: Index): void {
    const fields = index.fields;
    if (this.pinned === undefined) return;
    if (fields === undefined) this.pinned = undefined;
    else for (const field of fields) this.pinned.add(field);
    const lazy = this.lazyFields;
    const newlyPinned = fields === undefined ? [...lazy] : fields.filter((f) => lazy.has(f));
    if (newlyPinned.length === 0 || !this.journal) return;
    for (const [idKey, stored] of this.docs) {
      const full = hydrate(stored);
      if (full === stored) continue;
      const kept = this.memoryForm(idKey, full);
      this.journal.replaced(idKey, full);
      for (const existing of this.indexes) {
        existing.remove(stored, idKey);
        existing.add(kept, idKey);
      }
      for (const postings of this.postings.values()) postings.replace(stored, kept, idKey);
      this.docs.set(idKey, kept);
    }
    this.journal.keptInMemory(newlyPinned);
  }

  /** Drops the secondary indexes at these positions of `indexes`. */
  dropIndexes(positions: number[]): void {
    for (const at of [...positions].sort((a, b) => b - a)) this.indexes.splice(at, 1);
    this.syncPostings();
    this.journal?.indexesChanged(this.indexes.map((index) => index.spec));
  }

  /**
   * One posting list per field of a secondary index (`_id` has its own lookup):
   * not only the leading one, since that is often a tenant every document shares.
   */
  private syncPostings(): void {
    const paths = new Set(this.indexes.flatMap((index) => Object.keys(index.spec.key)));
    paths.delete('_id');
    for (const path of this.postings.keys()) if (!paths.has(path)) this.postings.delete(path);
    for (const path of paths) {
      if (this.postings.has(path)) continue;
      const postings = new Postings(path);
      for (const [idKey, doc] of this.docs) postings.add(doc, idKey);
      this.postings.set(path, postings);
    }
  }

  /**
   * Candidate documents for a filter: a direct lookup when it pins `_id` (or a
   * single-field unique index) by equality, the posting list of an indexed
   * field it pins to strings or ObjectIds, else every document in natural order.
   */
  candidates(filter: Doc): Iterable<Doc> {
    const id = filter._id;
    if (id !== undefined) {
      if (isLiteral(id)) return this.byKeys([keyOf(id)]);
      // The driver's GridFS spells its lookups by id `{_id: {$eq: id}}`.
      if (isPlainObject(id) && Object.keys(id).length === 1 && '$eq' in id && isLiteral(id.$eq))
        return this.byKeys([keyOf(id.$eq)]);
      if (
        isPlainObject(id) &&
        Object.keys(id).length === 1 &&
        Array.isArray(id.$in) &&
        id.$in.every(isLiteral)
      ) {
        return this.byKeys([...new Set(id.$in.map(keyOf))]);
      }
    }
    for (const index of this.indexes) {
      if (!index.unique || index.spec.partialFilterExpression || index.spec.sparse) continue;
      const values = Object.keys(index.spec.key).map((field) => filter[field]);
      if (values.every(isScalarLiteral)) {
        const owner = index.lookup(values);
        return owner === undefined ? [] : this.byKeys([owner]);
      }
    }
    return this.posted(filter) ?? this.docs.values();
  }

  /**
   * The shortest posting list among the top-level string or ObjectId
   * equalities (or `$in` lists of them) of the filter, each one a conjunct
   * every match satisfies, in natural order; undefined when there is none, or
   * when scanning is about as cheap.
   */
  private posted(filter: Doc): Doc[] | undefined {
    let best: { postings: Postings; keys: string[]; count: number } | undefined;
    for (const [path, postings] of this.postings) {
      const keys = pinnedKeys(filter[path]);
      if (!keys) continue;
      const count = postings.count(keys);
      if (!best || count < best.count) best = { postings, keys, count };
    }
    if (!best || best.count > this.docs.size * POSTINGS_MAX_SHARE) return undefined;
    const ids = best.postings.candidates(best.keys);
    const position = (key: string): number => this.positions.get(key) ?? 0;
    if (ids.length > 1) ids.sort((a, b) => position(a) - position(b));
    return this.byKeys(ids);
  }

  private byKeys(keys: string[]): Doc[] {
    const out: Doc[] = [];
    for (const key of keys) {
      const doc = this.docs.get(key);
      if (doc) out.push(doc);
    }
    return out;
  }

  find(matcher: Matcher): Doc[] {
    const out: Doc[] = [];
    // A skeleton lacks its lazy fields: a filter that may read one tests the full document.
    const full = filterReadsBody(matcher.filter, this.lazyFields);
    for (const doc of this.candidates(matcher.filter))
      if (matcher.test(full ? hydrate(doc) : doc)) out.push(doc);
    return out;
  }
}

/** The posting keys a filter value pins its field to (an equality, `$eq` or `$in` of them), if any. */
function pinnedKeys(value: unknown): string[] | undefined {
  const key = postingKey(value);
  if (key !== undefined) return [key];
  if (isPlainObject(value) && Object.keys(value).length === 1 && '$eq' in value) {
    const eqKey = postingKey(value.$eq);
    return eqKey === undefined ? undefined : [eqKey];
  }
  if (!isPlainObject(value) || Object.keys(value).length !== 1 || !Array.isArray(value.$in))
    return undefined;
  const keys: string[] = [];
  for (const item of value.$in as unknown[]) {
    const itemKey = postingKey(item);
    if (itemKey === undefined) return undefined;
    keys.push(itemKey);
  }
  return keys;
}

/** A value whose equality match is exactly its index key (no arrays, documents, null or regex). */
function isScalarLiteral(v: unknown): boolean {
  return (
    v !== undefined &&
    v !== null &&
    !Array.isArray(v) &&
    !isPlainObject(v) &&
    !(v instanceof RegExp)
  );
}

function isLiteral(v: unknown): boolean {
  if (v instanceof RegExp) return false;
  if (isPlainObject(v)) return !Object.keys(v).some((k) => k.startsWith('$'));
  return true;
}

function prepareForInsert(input: Doc): Doc {
  const id = input._id;
  if (id === undefined) return { _id: new ObjectId(), ...input };
  if (Array.isArray(id)) throw badValue(`can't use an array for _id`);
  if (id instanceof RegExp) throw badValue(`can't use a regex for _id`);
  if (Object.keys(input)[0] === '_id') return input;
  const { _id, ...rest } = input;
  return { _id, ...rest };
}
