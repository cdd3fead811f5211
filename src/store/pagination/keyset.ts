// Keyset (cursor) pagination over one or more ordered "segments": a list is
// the concatenation of segments, each a filter sorted by its own keys. The
// conversation list is one segment (updated_at desc, _id desc); a message list
// is two (sent messages by sequence, then the rest by created_at, _id). No
// skip/offset: every page is an index range scan from the cursor's key.
import { decodeCursor, encodeCursor, type KeyType, type KeyValue } from './cursor.ts';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

export interface PageRequest {
  /** 1..100, default 20 (out-of-range values are clamped). */
  limit?: number;
  /** Cursor: the page after this one (`Page.next_cursor`). */
  after?: string | null;
  /** Cursor: the page before this one (`Page.prev_cursor`). Ignored when `after` is set. */
  before?: string | null;
}

export interface Page<T> {
  items: T[];
  has_next: boolean;
  has_prev: boolean;
  next_cursor: string | null;
  prev_cursor: string | null;
}

export type Filter = Record<string, unknown>;

export interface Segment<T> {
  /** null: the segment is empty for this query (e.g. a status filter excludes it). */
  filter: Filter | null;
  keys: ReadonlyArray<{ field: string; type: KeyType }>;
  /** 1: ascending on every key; -1: descending on every key. */
  direction: 1 | -1;
  keyOf(item: T): KeyValue[];
}

/** Runs one query: the store binds this to a mongoose model. */
export type Fetch<T> = (
  filter: Filter,
  sort: Record<string, 1 | -1>,
  limit: number,
) => Promise<T[]>;

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_LIMIT;
  return Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.trunc(limit)));
}

export async function paginate<T>(
  list: string,
  segments: ReadonlyArray<Segment<T>>,
  request: PageRequest,
  fetch: Fetch<T>,
): Promise<Page<T>> {
  const limit = clampLimit(request.limit);
  const keyTypes = (s: number) => segments[s]?.keys.map((key) => key.type) ?? null;
  const backward = !request.after && Boolean(request.before);
  const raw = request.after ?? request.before ?? null;
  const cursor = raw ? decodeCursor(raw, list, keyTypes) : null;

  // Walk segments in list order (or reverse order going backward) from the
  // cursor's segment, collecting limit + 1 items to learn whether more exist.
  const found: Array<{ item: T; segment: number }> = [];
  const start = cursor ? cursor.segment : backward ? segments.length - 1 : 0;
  for (let s = start; s >= 0 && s < segments.length; s += backward ? -1 : 1) {
    const segment = segments[s];
    const need = limit + 1 - found.length;
    if (!segment || need <= 0) break;
    if (!segment.filter) continue;
    const bound =
      cursor && s === cursor.segment ? keysetFilter(segment, cursor.values, backward) : null;
    const filter = bound ? { $and: [segment.filter, bound] } : segment.filter;
    const items = await fetch(filter, sortOf(segment, backward), need);
    for (const item of items) found.push({ item, segment: s });
  }

  const more = found.length > limit;
  const page = found.slice(0, limit);
  if (backward) page.reverse();
  const first = page[0];
  const last = page[page.length - 1];
  const encode = (entry: { item: T; segment: number }) =>
    encodeCursor(list, entry.segment, segments[entry.segment]?.keyOf(entry.item) ?? []);
  const hasNext = backward ? true : more;
  const hasPrev = backward ? more : cursor !== null;
  return {
    items: page.map((entry) => entry.item),
    has_next: hasNext,
    has_prev: hasPrev,
    next_cursor: hasNext && last ? encode(last) : null,
    prev_cursor: hasPrev && first ? encode(first) : null,
  };
}

function sortOf<T>(segment: Segment<T>, backward: boolean): Record<string, 1 | -1> {
  const direction = backward ? (-segment.direction as 1 | -1) : segment.direction;
  return Object.fromEntries(segment.keys.map((key) => [key.field, direction]));
}

/**
 * Items strictly after (or, backward, strictly before) `values` in the
 * segment's order: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ...
 */
export function keysetFilter<T>(
  segment: Segment<T>,
  values: readonly KeyValue[],
  backward: boolean,
): Filter {
  const ascending = (segment.direction === 1) !== backward;
  const op = ascending ? '$gt' : '$lt';
  const branches: Filter[] = segment.keys.map((key, i) => {
    const branch: Filter = {};
    for (let j = 0; j < i; j++) {
      const prior = segment.keys[j];
      if (prior) branch[prior.field] = values[j];
    }
    branch[key.field] = { [op]: values[i] };
    return branch;
  });
  return branches.length === 1 && branches[0] ? branches[0] : { $or: branches };
}
