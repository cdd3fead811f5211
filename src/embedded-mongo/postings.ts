// Equality lookups behind the indexes: for a field that leads an index, which
// documents hold which string there, so a filter pinning that field to a
// string tests a handful of candidates instead of every document. Only a
// shortlist: the matcher still decides, so the lists may hold too much but
// never too little. Strings only, because their equality is plain `===` for
// mongod and mingo alike (numbers match across BSON types, null matches a
// missing field, and so on).
import { isPlainObject, type Doc } from './values.ts';

/** A document that may match any string: an array or a BSON value sits on the path. */
const ANY = Symbol('any');

/**
 * The string a document holds at `parts`; ANY when only the matcher can tell
 * (arrays are multikey, and other objects are its business); undefined when
 * no string equality can match (missing, null, a number...).
 */
function postingOf(doc: Doc, parts: readonly string[]): string | typeof ANY | undefined {
  let value: unknown = doc;
  for (const part of parts) {
    if (value === null || typeof value !== 'object') return undefined;
    if (!isPlainObject(value)) return ANY;
    value = Object.hasOwn(value, part) ? value[part] : undefined;
  }
  if (typeof value === 'string') return value;
  return value !== null && typeof value === 'object' ? ANY : undefined;
}

export class Postings {
  private readonly parts: readonly string[];
  /** string → id keys of the documents holding it at the path. */
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

  /** How many documents `candidates(value)` would return. */
  count(value: string): number {
    return (this.byValue.get(value)?.size ?? 0) + this.any.size;
  }

  /** Id keys of every document that may hold `value` at the path (in no particular order). */
  candidates(value: string): string[] {
    return [...(this.byValue.get(value) ?? []), ...this.any];
  }
}
