// Documents whose bulk stays on disk. A durable store keeps a document in
// memory as a "skeleton" when some of its top-level fields are large and no
// index looks at them (a GridFS chunk's `data`, a message's bodies): the
// skeleton has every other field, which is all the indexes, postings, counts
// and most filters look at. The full document is read back from disk when a
// reply, an update, or a filter, sort or distinct on one of those fields
// needs it. Each collection knows which field names it has ever left on disk
// (its lazy fields); a filter that may read one of them tests full documents.
import type { Doc } from './values.ts';

/** The field names a collection may have left on disk; empty when it keeps everything in memory. */
export type LazyFields = ReadonlySet<string>;

export const NO_LAZY_FIELDS: LazyFields = new Set();

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

/** True when a path starts at one of the lazy fields. */
export function pathReadsBody(path: string, lazy: LazyFields): boolean {
  if (lazy.size === 0) return false;
  const dot = path.indexOf('.');
  return lazy.has(dot === -1 ? path : path.slice(0, dot));
}

/** Operators that may read any field, so a filter using them needs full documents. */
const OPAQUE = new Set(['$expr', '$where', '$jsonSchema', '$function', '$text']);

/** Whether a filter may look at a lazy field (conservatively: any opaque operator counts). */
export function filterReadsBody(filter: unknown, lazy: LazyFields): boolean {
  if (lazy.size === 0) return false;
  if (Array.isArray(filter)) return filter.some((item) => filterReadsBody(item, lazy));
  if (filter === null || typeof filter !== 'object') return false;
  for (const [key, value] of Object.entries(filter)) {
    if (pathReadsBody(key, lazy) || OPAQUE.has(key)) return true;
    if (key.startsWith('$') && filterReadsBody(value, lazy)) return true;
  }
  return false;
}

/** Whether a parsed sort reads a lazy field. */
export function sortReadsBody(sort: ReadonlyArray<readonly [string, unknown]>, lazy: LazyFields) {
  return sort.some(([path]) => pathReadsBody(path, lazy));
}
