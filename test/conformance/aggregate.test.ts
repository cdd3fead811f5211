import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openHarness, type AnyDoc, type Harness } from './harness.ts';

describe('aggregate', () => {
  let h: Harness;
  before(async () => {
    h = await openHarness('agg');
    await h.db.collection<AnyDoc>('orders').insertMany([
      { _id: 1, cust: 'a', total: 10, items: ['x', 'y'] },
      { _id: 2, cust: 'b', total: 5, items: ['x'] },
      { _id: 3, cust: 'a', total: 7, items: [] },
      { _id: 4, cust: 'c', total: 1, items: ['z'] },
    ] as never[]);
    await h.db.collection<AnyDoc>('customers').insertMany([
      { _id: 'a', name: 'Ann' },
      { _id: 'b', name: 'Bob' },
    ] as never[]);
  });
  after(async () => {
    await h.close();
  });

  const run = (pipeline: object[], options: object = {}) =>
    h.db.collection<AnyDoc>('orders').aggregate(pipeline, options).toArray();

  test('$match, $group, $sort, $skip, $limit, $project', async () => {
    const out = await run([
      { $match: { total: { $gte: 5 } } },
      { $group: { _id: '$cust', sum: { $sum: '$total' }, n: { $sum: 1 } } },
      { $sort: { sum: -1 } },
      { $project: { _id: 0, cust: '$_id', sum: 1, n: 1 } },
    ]);
    assert.deepEqual(out, [
      { sum: 17, n: 2, cust: 'a' },
      { sum: 5, n: 1, cust: 'b' },
    ]);
    const paged = await run([
      { $sort: { _id: 1 } },
      { $skip: 1 },
      { $limit: 2 },
      { $project: { _id: 1 } },
    ]);
    assert.deepEqual(paged, [{ _id: 2 }, { _id: 3 }]);
  });

  test('$addFields/$set, $unset, $unwind, $count, $sortByCount', async () => {
    const added = await run([
      { $match: { _id: 2 } },
      { $set: { double: { $multiply: ['$total', 2] } } },
      { $unset: ['items', 'cust'] },
    ]);
    assert.deepEqual(added, [{ _id: 2, total: 5, double: 10 }]);
    const unwound = await run([{ $unwind: '$items' }, { $count: 'n' }]);
    assert.deepEqual(unwound, [{ n: 4 }]);
    const byCount = await run([{ $unwind: '$items' }, { $sortByCount: '$items' }]);
    assert.deepEqual(byCount[0], { _id: 'x', count: 2 });
    assert.equal(byCount.length, 3);
  });

  test('$lookup and $facet', async () => {
    const joined = await run([
      { $match: { _id: { $in: [1, 4] } } },
      { $lookup: { from: 'customers', localField: 'cust', foreignField: '_id', as: 'customer' } },
      { $project: { _id: 1, names: '$customer.name' } },
      { $sort: { _id: 1 } },
    ]);
    assert.deepEqual(joined, [
      { _id: 1, names: ['Ann'] },
      { _id: 4, names: [] },
    ]);
    const [facets] = await run([
      {
        $facet: {
          big: [{ $match: { total: { $gt: 6 } } }, { $count: 'n' }],
          all: [{ $count: 'n' }],
        },
      },
    ]);
    assert.deepEqual(facets, { big: [{ n: 2 }], all: [{ n: 4 }] });
  });

  test('cursor batchSize is honoured across getMore', async () => {
    await h.db.collection<AnyDoc>('many').insertMany(Array.from({ length: 30 }, (_, i) => ({ i })));
    const first = await h.db.command({
      aggregate: 'many',
      pipeline: [{ $sort: { i: -1 } }],
      cursor: { batchSize: 10 },
    });
    assert.equal(first.cursor.firstBatch.length, 10);
    assert.equal(first.cursor.firstBatch[0].i, 29);
    const next = await h.db.command({
      getMore: first.cursor.id,
      collection: 'many',
      batchSize: 25,
    });
    assert.equal(next.cursor.nextBatch.length, 20);
    assert.equal(next.cursor.id.toString(), '0');
  });

  test('an unknown stage is an error', async () => {
    await assert.rejects(run([{ $frobnicate: {} }]), (error: { code?: number }) => {
      assert.equal(error.code, 40324);
      return true;
    });
  });
});
