import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Query } from 'mingo';
import { InvalidCursorError } from '../../../src/store/errors.ts';
import { decodeCursor, encodeCursor } from '../../../src/store/pagination/cursor.ts';
import {
  clampLimit,
  keysetFilter,
  paginate,
  type Fetch,
  type PageRequest,
  type Segment,
} from '../../../src/store/pagination/keyset.ts';

interface Item {
  _id: string;
  status: string;
  sequence?: number;
  at: Date;
}

// An in-memory stand-in for a collection, evaluating the real filters with mingo.
function memoryFetch(items: Item[]): Fetch<Item> {
  return async (filter, sort, limit) => {
    const cursor = new Query(filter).find(items).sort(sort).limit(limit);
    return cursor.all() as Item[];
  };
}

const byTimeDesc = (filter: Record<string, unknown> | null): Segment<Item> => ({
  filter,
  keys: [
    { field: 'at', type: 'date' },
    { field: '_id', type: 'string' },
  ],
  direction: -1,
  keyOf: (item) => [item.at, item._id],
});

function timelineSegments(statuses: string[] | null): Array<Segment<Item>> {
  const all = ['sent', 'draft', 'scheduled'];
  const wanted = statuses ?? all;
  const others = wanted.filter((s) => s !== 'sent');
  return [
    {
      filter: wanted.includes('sent') ? { status: 'sent' } : null,
      keys: [{ field: 'sequence', type: 'number' }],
      direction: 1,
      keyOf: (item) => [item.sequence ?? 0],
    },
    {
      filter: others.length ? { status: { $in: others } } : null,
      keys: [
        { field: 'at', type: 'date' },
        { field: '_id', type: 'string' },
      ],
      direction: 1,
      keyOf: (item) => [item.at, item._id],
    },
  ];
}

async function walk(
  segments: Array<Segment<Item>>,
  fetch: Fetch<Item>,
  limit: number,
  direction: 'after' | 'before' = 'after',
): Promise<string[][]> {
  const pages: string[][] = [];
  let request: PageRequest = { limit };
  for (let i = 0; i < 100; i++) {
    const page = await paginate('test', segments, request, fetch);
    pages.push(page.items.map((item) => item._id));
    if (direction === 'after') {
      if (!page.has_next) break;
      request = { limit, after: page.next_cursor };
    } else {
      if (!page.has_prev) break;
      request = { limit, before: page.prev_cursor };
    }
  }
  return pages;
}

// 13 items; several share a timestamp so the _id tie-break matters.
const ITEMS: Item[] = Array.from({ length: 13 }, (_, i) => ({
  _id: `i${String(i).padStart(2, '0')}`,
  status: i % 3 === 0 ? 'draft' : 'sent',
  at: new Date(Date.UTC(2024, 0, 1, 0, 0, Math.floor(i / 3))),
}));
let seq = 0;
for (const item of ITEMS) if (item.status === 'sent') item.sequence = ++seq;

describe('cursor encoding', () => {
  test('round-trips dates, strings and numbers', () => {
    const cursor = encodeCursor('conversations', 0, [new Date(5), 'cnv_1', 3]);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    const decoded = decodeCursor(cursor, 'conversations', () => ['date', 'string', 'number']);
    assert.deepEqual(decoded, { segment: 0, values: [new Date(5), 'cnv_1', 3] });
  });

  test('rejects garbage, other lists, unknown segments and mistyped values', () => {
    const types = () => ['date', 'string'] as const;
    const good = encodeCursor('a', 0, [new Date(0), 'x']);
    for (const bad of [
      'not base64 json!',
      Buffer.from('[1,2]').toString('base64url'),
      encodeCursor('b', 0, [new Date(0), 'x']),
      encodeCursor('a', 0, ['x', 'x']),
      encodeCursor('a', 0, [new Date(0)]),
      encodeCursor('a', 0, [1, 'x']),
    ]) {
      assert.throws(() => decodeCursor(bad, 'a', types), InvalidCursorError, bad);
    }
    assert.throws(() => decodeCursor(good, 'a', () => null), InvalidCursorError);
    assert.doesNotThrow(() => decodeCursor(good, 'a', types));
  });
});

describe('keyset pagination', () => {
  test('limit defaults to 20 and is clamped to 1..100', () => {
    assert.equal(clampLimit(undefined), 20);
    assert.equal(clampLimit(0), 1);
    assert.equal(clampLimit(500), 100);
    assert.equal(clampLimit(7.9), 7);
    assert.equal(clampLimit(Number.NaN), 20);
  });

  test('keysetFilter: lexicographic "after" on two keys, flipped going backward', () => {
    const segment = byTimeDesc({});
    const at = new Date(0);
    assert.deepEqual(keysetFilter(segment, [at, 'x'], false), {
      $or: [{ at: { $lt: at } }, { at, _id: { $lt: 'x' } }],
    });
    assert.deepEqual(keysetFilter(segment, [at, 'x'], true), {
      $or: [{ at: { $gt: at } }, { at, _id: { $gt: 'x' } }],
    });
  });

  test('one descending segment: forward walk sees every item once, newest first', async () => {
    const pages = await walk([byTimeDesc({})], memoryFetch(ITEMS), 4);
    const expected = [...ITEMS]
      .sort((a, b) => b.at.getTime() - a.at.getTime() || (a._id < b._id ? 1 : -1))
      .map((i) => i._id);
    assert.deepEqual(pages.flat(), expected);
    assert.deepEqual(
      pages.map((p) => p.length),
      [4, 4, 4, 1],
    );
  });

  test('backward walks (from the last page) give the forward pages, in order', async () => {
    for (const [name, segments] of [
      ['one segment', [byTimeDesc({})]],
      ['two segments', timelineSegments(null)],
    ] as const) {
      for (const limit of [1, 4, 5, 13, 20]) {
        const fetch = memoryFetch(ITEMS);
        const forward = [await paginate('test', segments, { limit }, fetch)];
        for (let last = forward[0]; last?.has_next; last = forward[forward.length - 1]) {
          forward.push(await paginate('test', segments, { limit, after: last.next_cursor }, fetch));
        }
        let page = forward[forward.length - 1];
        assert.ok(page);
        const backward = [page.items.map((i) => i._id)];
        while (page.has_prev) {
          page = await paginate('test', segments, { limit, before: page.prev_cursor }, fetch);
          backward.unshift(page.items.map((i) => i._id));
        }
        const expected = forward.map((p) => p.items.map((i) => i._id));
        assert.deepEqual(backward, expected, `${name}, limit ${limit}`);
        assert.equal(expected.flat().length, ITEMS.length);
      }
    }
  });

  test('a status filter that excludes a segment skips it', async () => {
    const onlyDrafts = (await walk(timelineSegments(['draft']), memoryFetch(ITEMS), 2)).flat();
    assert.deepEqual(
      onlyDrafts,
      ITEMS.filter((i) => i.status === 'draft').map((i) => i._id),
    );
    const onlySent = (await walk(timelineSegments(['sent']), memoryFetch(ITEMS), 50)).flat();
    assert.equal(onlySent.length, ITEMS.filter((i) => i.status === 'sent').length);
  });

  test('an empty list is one page with nothing before or after', async () => {
    const page = await paginate('test', [byTimeDesc({})], {}, memoryFetch([]));
    assert.deepEqual(page, {
      items: [],
      has_next: false,
      has_prev: false,
      next_cursor: null,
      prev_cursor: null,
    });
  });

  test('a cursor for another list is refused', async () => {
    const other = encodeCursor('other', 0, [new Date(0), 'x']);
    await assert.rejects(
      paginate('test', [byTimeDesc({})], { after: other }, memoryFetch(ITEMS)),
      InvalidCursorError,
    );
  });
});
