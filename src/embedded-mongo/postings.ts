// Equality lookups behind the indexes: for each field of an index, which
// documents hold which string or ObjectId there, so a filter pinning that
// field (or listing values with `$in`) tests a handful of candidates instead
// of every document. Only a shortlist: the matcher still decides, so the lists
// may hold too much but never too little. Strings and ObjectIds only, because
// their equality is exact for mongod and mingo alike (numbers match across
// BSON types, null matches a missing field, and so on).
import { isPlainObject, type Doc } from './values.ts';

/** A document that may match any value: an array or a BSON value sits on the path. */
const ANY = Symbol('any');

/** The posting key of a value a filter may pin, or undefined when postings cannot answer for it. */
export function postingKey(value: unknown): string | undefined {
  if (typeof value === 'string') return 's' + value;
  if (isObjectId(value)) return 'o' + value.toHexString();
  return undefined;
}

function isObjectId(value: unknown): value is { toHexString(): string } {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as { _bsontype?: unknown })._bsontype === 'ObjectId'
  );
}

/**
 * The key of what a document holds at `parts`; ANY when only the matcher can
 * tell (arrays are multikey, and other objects are its business); undefined
 * when no string or ObjectId equality can match (missing, null, a number, a date...).
 */
function postingOf(doc: Doc, parts: readonly string[]): string | typeof ANY | undefined {
  let value: unknown = doc;
  for (const part of parts) {
    if (value === null || typeof value !== 'object') return undefined;
    if (!isPlainObject(value)) return ANY;
    value = Object.hasOwn(value, part) ? value[part] : undefined;
  }
  const key = postingKey(value);
  if (key !== undefined) return key;
  // A date equals neither a string nor an ObjectId, and most indexed dates would
  // otherwise put every document on the ANY list.
  if (value instanceof Date) return undefined;
  return value !== null && typeof value === 'object' ? ANY : undefined;
}

export class Postings {
  private readonly parts: readonly string[];
  /** posting key → id keys of the documents holding it at the path. */
  private readonly byValue = new Map<string, Set<string>>();
  private readonly any = new Set<string>();

  constructor(readonly path: string) {
    this.parts = path.split('.');
  }

  add(doc: Doc, idKey: string): void {
    const posting = postingOf(doc, this.parts);
    if (posting === ANY) this.any.add(idKey);
    else if (posting !== undefined) {
      let ids = this.byValue.get(posting);
      if (!ids) this.byValue.set(posting, (ids = new Set()));
      ids.add(idKey);
    }
  }

  remove(doc: Doc, idKey: string): void {
    const posting = postingOf(doc, this.parts);
    if (posting === ANY) this.any.delete(idKey);
    else if (posting !== undefined) {
      const ids = this.byValue.get(posting);
      ids?.delete(idKey);
      if (ids?.size === 0) this.byValue.delete(posting);
    }
  }

  /** Moves a replaced document, leaving the lists alone when the value at the path is the same. */
  replace(old: Doc, next: Doc, idKey: string): void {
    if (postingOf(old, this.parts) === postingOf(next, this.parts)) return;
    this.remove(old, idKey);
    this.add(next, idKey);
  }

  /** How many documents `candidates(keys)` would return at most. */
  count(keys: readonly string[]): number {
    let total = this.any.size;
    for (const key of keys) total += this.byValue.get(key)?.size ?? 0;
    return total;
  }

  /** Id keys of every document that may hold one of these posting keys at the path (no order). */
  candidates(keys: readonly string[]): string[] {
    const out = new Set<string>(this.any);
    for (const key of keys) for (const id of this.byValue.get(key) ?? []) out.add(id);
    return [...out];
  }
}
