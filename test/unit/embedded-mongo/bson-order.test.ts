import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Binary,
  Double,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
} from '../../../src/embedded-mongo/bson.ts';
import { compareBson, sortDocuments, sortKey } from '../../../src/embedded-mongo/bson-order.ts';

test('type order: MinKey < null < numbers < string < object < array < BinData < ObjectId < bool < Date < Timestamp < RegExp < MaxKey', () => {
  const ordered = [
    new MinKey(),
    null,
    -5,
    'a',
    { a: 1 },
    [1],
    new Binary(Buffer.from('x')),
    new ObjectId(),
    false,
    new Date(0),
    new Timestamp({ t: 1, i: 1 }),
    /x/,
    new MaxKey(),
  ];
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      assert.equal(
        Math.sign(compareBson(ordered[i], ordered[j])),
        Math.sign(i - j),
        `${i} vs ${j}`,
      );
    }
  }
});

test('numbers compare by value across Int32, Double and Long; NaN is smallest', () => {
  assert.equal(compareBson(1, new Double(1)), 0);
  assert.equal(compareBson(Long.fromNumber(2), 1.5), 1);
  assert.equal(compareBson(Number.NaN, -Infinity), -1);
  assert.equal(compareBson(undefined, null), 0);
});

test('objects compare field by field, then by length; strings by code point', () => {
  assert.equal(compareBson({ a: 1 }, { a: 1, b: 0 }), -1);
  assert.equal(compareBson({ a: 2 }, { b: 1 }), -1);
  assert.equal(compareBson({ a: 'x' }, { a: 1 }), 1);
  assert.equal(compareBson('Z', 'a'), -1);
});

test('array sort keys use the smallest element ascending and the largest descending; [] sorts before null', () => {
  assert.equal(sortKey({ v: [3, 1, 2] }, 'v', 1), 1);
  assert.equal(sortKey({ v: [3, 1, 2] }, 'v', -1), 3);
  assert.equal(sortKey({ v: [{ k: 2 }, { k: 9 }] }, 'v.k', -1), 9);
  const docs = sortDocuments(
    [
      { id: 'null', v: null },
      { id: 'empty', v: [] },
      { id: 'one', v: 1 },
    ],
    [['v', 1]],
  );
  assert.deepEqual(
    docs.map((d) => d.id),
    ['empty', 'null', 'one'],
  );
});
