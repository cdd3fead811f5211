// Secondary indexes. Only what has observable behaviour is materialized:
// unique indexes keep a map from key to document id, which enforces
// uniqueness; other indexes are catalogue entries (queries scan).
import { MongoError, badValue, notSupported } from './errors.ts';
import { formatDoc } from './format.ts';
import { Matcher } from './query.ts';
import { isPlainObject, keyOf, sameBson, toNumber, type Doc } from './values.ts';

export interface IndexSpec {
  v: number;
  key: Doc;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  expireAfterSeconds?: number;
  [option: string]: unknown;
}

const ALLOWED_OPTIONS = new Set([
  'key',
  'name',
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'background',
  'v',
  'hidden',
  'ns',
]);

export function defaultIndexName(key: Doc): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}_${String(typeof v === 'string' ? v : toNumber(v))}`)
    .join('_');
}

export function validateIndexSpec(raw: unknown): IndexSpec {
  if (!isPlainObject(raw) || !isPlainObject(raw.key) || Object.keys(raw.key).length === 0) {
    throw badValue('Index key pattern must be a non-empty object');
  }
  for (const [field, dir] of Object.entries(raw.key)) {
    if (typeof dir === 'string') throw notSupported(`${dir} index on '${field}'`);
    const n = toNumber(dir);
    if (!Number.isFinite(n) || n === 0)
      throw new MongoError(67, `Values in the index key pattern can't be 0: ${field}`);
  }
  for (const option of Object.keys(raw)) {
    if (!ALLOWED_OPTIONS.has(option)) throw notSupported(`index option '${option}'`);
  }
  if (typeof raw.name !== 'string' || raw.name === '') throw failedName();
  const spec: IndexSpec = { v: 2, key: raw.key, name: raw.name };
  if (raw.unique === true) spec.unique = true;
  if (raw.sparse === true) spec.sparse = true;
  if (raw.partialFilterExpression !== undefined) {
    if (!isPlainObject(raw.partialFilterExpression))
      throw badValue('partialFilterExpression must be an object');
    new Matcher(raw.partialFilterExpression);
    spec.partialFilterExpression = raw.partialFilterExpression as Doc;
  }
  if (raw.expireAfterSeconds !== undefined)
    spec.expireAfterSeconds = toNumber(raw.expireAfterSeconds);
  if (raw.hidden === true) spec.hidden = true;
  return spec;
}

function failedName(): MongoError {
  return new MongoError(
    9,
    "The 'name' field must be a non-empty string in each index specification",
  );
}

/** Options that make two indexes on the same key different indexes. */
export function sameOptions(a: IndexSpec, b: IndexSpec): boolean {
  const pick = (s: IndexSpec): string =>
    keyOf({
      u: !!s.unique,
      s: !!s.sparse,
      p: s.partialFilterExpression ?? null,
      t: s.expireAfterSeconds ?? null,
    });
  return pick(a) === pick(b);
}

export function sameKey(a: IndexSpec, b: IndexSpec): boolean {
  return keyOf(a.key) === keyOf(b.key);
}

interface Entry {
  key: string;
  values: unknown[];
}

/** The index keys of one document (several for an array field), or none if the index skips it. */
function entriesFor(spec: IndexSpec, partial: Matcher | undefined, doc: Doc): Entry[] {
  if (partial && !partial.test(doc)) return [];
  const fields = Object.keys(spec.key);
  const perField = fields.map((f) => fieldValues(doc, f));
  if (spec.sparse && perField.every((vs) => vs === undefined)) return [];
  let combos: unknown[][] = [[]];
  let arrays = 0;
  perField.forEach((vs, i) => {
    const values = vs ?? [null];
    if (values.length > 1) arrays++;
    if (arrays > 1) {
      throw new MongoError(171, `cannot index parallel arrays [${fields[i]}] [${fields[i - 1]}]`);
    }
    combos = combos.flatMap((c) => values.map((v) => [...c, v]));
  });
  const seen = new Set<string>();
  const out: Entry[] = [];
  for (const values of combos) {
    const key = values.map(keyOf).join('\u0000');
    if (!seen.has(key)) out.push({ key, values });
    seen.add(key);
  }
  return out;
}

/** Values of an indexed path: undefined when missing; array elements expanded (multikey). */
function fieldValues(doc: Doc, path: string): unknown[] | undefined {
  let current: unknown[] = [doc];
  for (const part of path.split('.')) {
    const next: unknown[] = [];
    for (const v of current) {
      const pick = (o: unknown): void => {
        if (isPlainObject(o) && Object.hasOwn(o, part)) next.push(o[part]);
      };
      if (Array.isArray(v)) {
        if (/^\d+$/.test(part) && Number(part) < v.length) next.push(v[Number(part)]);
        else v.forEach(pick);
      } else {
        pick(v);
      }
    }
    current = next;
    if (next.length === 0) return undefined;
  }
  const out: unknown[] = [];
  for (const v of current) {
    if (Array.isArray(v)) out.push(...(v.length === 0 ? [undefined] : v));
    else out.push(v);
  }
  return out;
}

/** Adds the top-level fields a filter reads to `into`; false when it may read others ($expr...). */
function collectFields(filter: Doc, into: Set<string>): boolean {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(value)) return false;
      for (const sub of value) if (!isPlainObject(sub) || !collectFields(sub, into)) return false;
    } else if (key.startsWith('$')) {
      return false;
    } else {
      into.add(key.split('.')[0] as string);
    }
  }
  return true;
}

/** The top-level fields a document's entries depend on (key and partial filter), if known. */
function fieldsOf(spec: IndexSpec): string[] | undefined {
  const fields = new Set(Object.keys(spec.key).map((path) => path.split('.')[0] as string));
  const partial = spec.partialFilterExpression;
  return partial && !collectFields(partial, fields) ? undefined : [...fields];
}

export class Index {
  readonly spec: IndexSpec;
  private readonly partial: Matcher | undefined;
  /** The top-level fields its entries depend on; undefined: it may read any. */
  readonly fields: string[] | undefined;
  /** key → stored id key of the document holding it (unique indexes only). */
  private readonly owners = new Map<string, string>();
  /**
   * Each document's entries, computed once: stored documents are never
   * mutated, and a replace checks, removes and adds (running the partial
   * filter each time) otherwise.
   */
  private readonly entryCache = new WeakMap<Doc, Entry[]>();

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.partial = spec.partialFilterExpression
      ? new Matcher(spec.partialFilterExpression)
      : undefined;
    this.fields = fieldsOf(spec);
  }

  /**
   * True when replacing `old` by `next` leaves this index as it is (no
   * field its entries depend on changed), so the replace need not check or
   * move anything here; `next` then shares `old`'s entries.
   */
  unchangedBy(old: Doc, next: Doc): boolean {
    if (!this.unique) return true;
    if (!this.fields) return false;
    for (const field of this.fields) {
      if (Object.hasOwn(old, field) !== Object.hasOwn(next, field)) return false;
      if (!sameBson(old[field], next[field])) return false;
    }
    this.entryCache.set(next, this.entries(old));
    return true;
  }

  get unique(): boolean {
    return this.spec.unique === true;
  }

  private entries(doc: Doc): Entry[] {
    let entries = this.entryCache.get(doc);
    if (!entries) {
      entries = entriesFor(this.spec, this.partial, doc);
      this.entryCache.set(doc, entries);
    }
    return entries;
  }

  /** Throws E11000 if `doc` (stored under `idKey`) would duplicate another document's key. */
  check(doc: Doc, idKey: string, ns: string): void {
    if (!this.unique) return;
    for (const entry of this.entries(doc)) {
      const owner = this.owners.get(entry.key);
      if (owner !== undefined && owner !== idKey) throw this.duplicate(entry.values, ns);
    }
  }

  add(doc: Doc, idKey: string): void {
    if (!this.unique) return;
    for (const entry of this.entries(doc)) this.owners.set(entry.key, idKey);
  }

  remove(doc: Doc, idKey: string): void {
    if (!this.unique) return;
    for (const entry of this.entries(doc)) {
      if (this.owners.get(entry.key) === idKey) this.owners.delete(entry.key);
    }
  }

  /** The id of the document holding these key values (one per indexed field) in a unique index. */
  lookup(values: unknown[]): string | undefined {
    return this.owners.get(values.map(keyOf).join('\u0000'));
  }

  duplicate(values: unknown[], ns: string): MongoError {
    const keyValue: Doc = {};
    Object.keys(this.spec.key).forEach((field, i) => (keyValue[field] = values[i] ?? null));
    return duplicateKeyError(ns, this.spec.name, this.spec.key, keyValue);
  }
}

export function duplicateKeyError(
  ns: string,
  indexName: string,
  keyPattern: Doc,
  keyValue: Doc,
): MongoError {
  return new MongoError(
    11000,
    `E11000 duplicate key error collection: ${ns} index: ${indexName} dup key: ${formatDoc(keyValue)}`,
    { keyPattern, keyValue },
  );
}
