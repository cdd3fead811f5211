// Documents whose bulk stays on disk. A durable store keeps GridFS chunks in
// memory only as a "skeleton" (every field but `data`: _id, files_id, n), which
// is all the indexes, postings, counts and GridFS filters look at; the body is
// read back from disk when a reply, an update or a filter on `data` needs it.
import type { Doc } from './values.ts';

/** The field a skeleton leaves on disk. */
export const BODY_FIELD = 'data';

const loaders = new WeakMap<Doc, () => Doc>();

/** Marks `skeleton` as standing for the full document `load()` reads back. */
export function bodyOnDisk(skeleton: Doc, load: () => Doc): Doc {
  loaders.set(skeleton, load);
  return skeleton;
}

/** The full document for a stored one (itself unless it is a skeleton). */
export function hydrate(doc: Doc): Doc {
  const load = loaders.get(doc);
  return load ? load() : doc;
}

export function* hydrateAll(docs: Iterable<Doc>): Iterable<Doc> {
  for (const doc of docs) yield hydrate(doc);
}

/** True when a path starts at the body field. */
export function pathReadsBody(path: string): boolean {
  return path === BODY_FIELD || path.startsWith(`${BODY_FIELD}.`);
}

/** Operators that may read any field, so a filter using them needs full documents. */
const OPAQUE = new Set(['$expr', '$where', '$jsonSchema', '$function', '$text']);

/** Whether a filter may look at the body field (conservatively: any opaque operator counts). */
export function filterReadsBody(filter: unknown): boolean {
  if (Array.isArray(filter)) return filter.some(filterReadsBody);
  if (filter === null || typeof filter !== 'object') return false;
  for (const [key, value] of Object.entries(filter)) {
    if (pathReadsBody(key) || OPAQUE.has(key)) return true;
    if (key.startsWith('$') && filterReadsBody(value)) return true;
  }
  return false;
}
