import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import { openHarness, rejectsWithCode, type AnyDoc, type Harness } from './harness.ts';

describe('insert, find, count, distinct and delete', () => {
  let h: Harness;
  before(async () => {
    h = await openHarness('crud');
    await h.db.collection<AnyDoc>('people').insertMany([
      { _id: 1, name: 'ann', age: 31, tags: ['a', 'b'], address: { city: 'Oslo', zip: '0150' } },
      { _id: 2, name: 'bob', age: 25, tags: ['b'], address: { city: 'Bergen', zip: '5003' } },
      { _id: 3, name: 'cid', age: 42, tags: [], address: { city: 'Oslo', zip: '0151' } },
      {
        _id: 4,
        name: 'dee',
        age: 25,
        scores: [
          { k: 'x', v: 1 },
          { k: 'y', v: 9 },
        ],
      },
    ] as never[]);
  });
  after(async () => {
    await h.close();
  });

  const people = () => h.db.collection<AnyDoc>('people');

  test('filters: equality, comparison, $in, $exists, $regex, dotted paths, arrays, $or/$and/$nor, $elemMatch', async () => {
    const ids = async (filter: object) =>
      (await people().find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);
    assert.deepEqual(await ids({ age: 25 }), [2, 4]);
    assert.deepEqual(await ids({ age: { $gt: 25, $lte: 42 } }), [1, 3]);
    assert.deepEqual(await ids({ name: { $in: ['ann', 'dee'] } }), [1, 4]);
    assert.deepEqual(await ids({ address: { $exists: false } }), [4]);
    assert.deepEqual(await ids({ name: { $regex: '^[ab]' } }), [1, 2]);
    assert.deepEqual(await ids({ name: /^C/i }), [3]);
    assert.deepEqual(await ids({ 'address.city': 'Oslo' }), [1, 3]);
    assert.deepEqual(await ids({ tags: 'b' }), [1, 2]);
    assert.deepEqual(await ids({ tags: { $size: 0 } }), [3]);
    assert.deepEqual(await ids({ $or: [{ age: 42 }, { name: 'bob' }] }), [2, 3]);
    assert.deepEqual(await ids({ $and: [{ age: 25 }, { name: { $ne: 'bob' } }] }), [4]);
    assert.deepEqual(await ids({ $nor: [{ age: 25 }, { age: 31 }] }), [3]);
    assert.deepEqual(await ids({ scores: { $elemMatch: { k: 'y', v: { $gt: 5 } } } }), [4]);
    assert.deepEqual(await ids({ 'scores.v': 9 }), [4]);
    assert.deepEqual(await ids({ missing: null }), [1, 2, 3, 4]);
    assert.deepEqual(await ids({ age: { $not: { $gt: 30 } } }), [2, 4]);
    assert.deepEqual(await ids({ $expr: { $gt: ['$age', 40] } }), [3]);
    assert.deepEqual(await ids({ age: { $gt: '30' } }), [], 'comparisons are type-bracketed');
  });

  test('unknown query operators are errors, not empty results', async () => {
    const error = await rejectsWithCode(
      () =>
        people()
          .find({ age: { $frob: 1 } })
          .toArray(),
      2,
    );
    assert.match(error.message, /unknown operator: \$frob/);
    await rejectsWithCode(() => people().find({ $frob: [] }).toArray(), 2);
  });

  test('sort, skip, limit, negative limit and projection', async () => {
    const sorted = await people()
      .find({}, { sort: { age: -1, _id: 1 } })
      .toArray();
    assert.deepEqual(
      sorted.map((d) => d._id),
      [3, 1, 2, 4],
    );
    const page = await people().find({}).sort({ _id: 1 }).skip(1).limit(2).toArray();
    assert.deepEqual(
      page.map((d) => d._id),
      [2, 3],
    );
    const neg = await people().find({}).sort({ _id: 1 }).limit(-2).toArray();
    assert.deepEqual(
      neg.map((d) => d._id),
      [1, 2],
    );

    const incl = await people().findOne({ _id: 1 }, { projection: { name: 1, 'address.city': 1 } });
    assert.deepEqual(incl, { _id: 1, name: 'ann', address: { city: 'Oslo' } });
    const excl = await people().findOne(
      { _id: 2 },
      { projection: { address: 0, tags: 0, _id: 0 } },
    );
    assert.deepEqual(excl, { name: 'bob', age: 25 });
    const sliced = await people().findOne(
      { _id: 1 },
      { projection: { tags: { $slice: -1 }, name: 1 } },
    );
    assert.deepEqual(sliced, { _id: 1, name: 'ann', tags: ['b'] });
    const elem = await people().findOne(
      { _id: 4 },
      { projection: { scores: { $elemMatch: { v: { $gt: 5 } } } } },
    );
    assert.deepEqual(elem, { _id: 4, scores: [{ k: 'y', v: 9 }] });
    const positional = await people().findOne(
      { 'scores.k': 'y' },
      { projection: { 'scores.$': 1 } },
    );
    assert.deepEqual(positional, { _id: 4, scores: [{ k: 'y', v: 9 }] });
    await rejectsWithCode(() => people().findOne({}, { projection: { name: 1, age: 0 } }), 31254);
  });

  test('count and distinct', async () => {
    assert.equal(await people().countDocuments({ age: 25 }), 2);
    const count = await h.db.command({
      count: 'people',
      query: { age: { $gte: 25 } },
      skip: 1,
      limit: 2,
    });
    assert.equal(count.n, 2);
    assert.equal((await h.db.command({ count: 'nothing-here' })).n, 0);
    assert.deepEqual((await people().distinct('age')).sort(), [25, 31, 42]);
    assert.deepEqual((await people().distinct('tags')).sort(), ['a', 'b']);
    assert.deepEqual(await people().distinct('address.city', { age: { $gt: 40 } }), ['Oslo']);
  });

  test('ordered insert stops at the first duplicate; unordered reports every error', async () => {
    const coll = h.db.collection<AnyDoc>('ins');
    await coll.insertOne({ _id: 1 } as never);
    await assert.rejects(
      coll.insertMany([{ _id: 2 }, { _id: 1 }, { _id: 3 }] as never[]),
      (error) => {
        assert.ok(error instanceof MongoBulkWriteError);
        assert.equal(error.result.insertedCount, 1);
        assert.equal(error.writeErrors instanceof Array ? error.writeErrors.length : 1, 1);
        return true;
      },
    );
    assert.equal(await coll.countDocuments({ _id: 3 } as never), 0);
    await assert.rejects(
      coll.insertMany([{ _id: 4 }, { _id: 1 }, { _id: 2 }, { _id: 5 }] as never[], {
        ordered: false,
      }),
      (error) => {
        assert.ok(error instanceof MongoBulkWriteError);
        const errors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
        assert.deepEqual(
          errors.map((e) => [e.index, e.code]),
          [
            [1, 11000],
            [2, 11000],
          ],
        );
        assert.equal(error.result.insertedCount, 2);
        return true;
      },
    );
    assert.equal(await coll.countDocuments(), 4);
  });

  test('inserted documents without _id get an ObjectId first in field order', async () => {
    const res = await h.db.command({ insert: 'noid', documents: [{ a: 1 }] });
    assert.equal(res.n, 1);
    const doc = await h.db.collection<AnyDoc>('noid').findOne({});
    assert.ok(doc);
    assert.equal(Object.keys(doc)[0], '_id');
    assert.equal(doc._id.constructor.name, 'ObjectId');
  });

  test('delete with limit 1 and limit 0', async () => {
    const coll = h.db.collection<AnyDoc>('del');
    await coll.insertMany([{ k: 1 }, { k: 1 }, { k: 1 }, { k: 2 }]);
    assert.equal((await coll.deleteOne({ k: 1 })).deletedCount, 1);
    assert.equal((await coll.deleteMany({ k: 1 })).deletedCount, 2);
    assert.equal((await coll.deleteMany({ k: 9 })).deletedCount, 0);
    assert.equal(await coll.countDocuments(), 1);
  });

  test('a 250-document result streams through several getMores', async () => {
    const coll = h.db.collection<AnyDoc>('big');
    await coll.insertMany(Array.from({ length: 250 }, (_, i) => ({ i })));
    const first = await h.db.command({ find: 'big', filter: {}, sort: { i: 1 }, batchSize: 100 });
    assert.equal(first.cursor.firstBatch.length, 100);
    assert.equal(first.cursor.ns, `${h.db.databaseName}.big`);
    assert.notEqual(first.cursor.id.toString(), '0');
    const second = await h.db.command({
      getMore: first.cursor.id,
      collection: 'big',
      batchSize: 100,
    });
    assert.equal(second.cursor.nextBatch.length, 100);
    assert.equal(second.cursor.nextBatch[0].i, 100);
    const third = await h.db.command({
      getMore: first.cursor.id,
      collection: 'big',
      batchSize: 100,
    });
    assert.equal(third.cursor.nextBatch.length, 50);
    assert.equal(third.cursor.id.toString(), '0');
    await rejectsWithCode(() => h.db.command({ getMore: first.cursor.id, collection: 'big' }), 43);

    const all = await coll.find({}, { batchSize: 7 }).sort({ i: 1 }).toArray();
    assert.equal(all.length, 250);
    assert.deepEqual(
      all.map((d) => d.i),
      Array.from({ length: 250 }, (_, i) => i),
    );
    const single = await h.db.command({ find: 'big', filter: {}, batchSize: 5, singleBatch: true });
    assert.equal(single.cursor.firstBatch.length, 5);
    assert.equal(single.cursor.id.toString(), '0');
  });

  test('killCursors releases an open cursor', async () => {
    const first = await h.db.command({ find: 'big', filter: {}, batchSize: 2 });
    const killed = await h.db.command({ killCursors: 'big', cursors: [first.cursor.id] });
    assert.equal(killed.cursorsKilled.length, 1);
    await rejectsWithCode(() => h.db.command({ getMore: first.cursor.id, collection: 'big' }), 43);
  });

  test('errors carry MongoServerError shape', async () => {
    const error = await rejectsWithCode(
      () => h.db.command({ find: 'people', filter: { a: { $in: 5 } } }),
      2,
    );
    assert.ok(error instanceof MongoServerError);
  });
});
