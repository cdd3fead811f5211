import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openHarness, rejectsWithCode, type AnyDoc, type Harness } from './harness.ts';

describe('findAndModify', () => {
  let h: Harness;
  before(async () => {
    h = await openHarness('fam');
    await h.db.collection<AnyDoc>('jobs').insertMany([
      { _id: 1, state: 'queued', prio: 1, tries: 0 },
      { _id: 2, state: 'queued', prio: 5, tries: 0 },
      { _id: 3, state: 'done', prio: 9, tries: 1 },
    ] as never[]);
  });
  after(async () => {
    await h.close();
  });

  test('update with sort returns the old or the new document and lastErrorObject', async () => {
    const raw = await h.db.command({
      findAndModify: 'jobs',
      query: { state: 'queued' },
      sort: { prio: -1 },
      update: { $set: { state: 'running' }, $inc: { tries: 1 } },
    });
    assert.deepEqual(raw.lastErrorObject, { n: 1, updatedExisting: true });
    assert.deepEqual(raw.value, { _id: 2, state: 'queued', prio: 5, tries: 0 });

    const after = await h.db.command({
      findAndModify: 'jobs',
      query: { state: 'queued' },
      update: { $set: { state: 'running' } },
      new: true,
      fields: { state: 1 },
    });
    assert.deepEqual(after.value, { _id: 1, state: 'running' });

    const none = await h.db.command({
      findAndModify: 'jobs',
      query: { state: 'nope' },
      update: { $set: { x: 1 } },
    });
    assert.deepEqual(none.lastErrorObject, { n: 0, updatedExisting: false });
    assert.equal(none.value, null);
  });

  test('upsert reports the upserted id; remove returns the removed document', async () => {
    const up = await h.db.command({
      findAndModify: 'jobs',
      query: { _id: 7 },
      update: { $set: { state: 'new' } },
      upsert: true,
      new: true,
    });
    assert.deepEqual(up.lastErrorObject, { n: 1, updatedExisting: false, upserted: 7 });
    assert.deepEqual(up.value, { _id: 7, state: 'new' });

    const upOld = await h.db.command({
      findAndModify: 'jobs',
      query: { _id: 8 },
      update: { $set: { a: 1 } },
      upsert: true,
    });
    assert.equal(upOld.value, null);

    const removed = await h.db.command({
      findAndModify: 'jobs',
      query: { state: 'done' },
      remove: true,
    });
    assert.deepEqual(removed.lastErrorObject, { n: 1 });
    assert.equal(removed.value._id, 3);
    assert.equal(await h.db.collection<AnyDoc>('jobs').countDocuments({ _id: 3 } as AnyDoc), 0);
  });

  test('driver helpers: findOneAndUpdate with arrayFilters, findOneAndReplace, findOneAndDelete', async () => {
    const coll = h.db.collection<AnyDoc>('items');
    await coll.insertOne({ _id: 'i', parts: [{ n: 1 }, { n: 2 }] });
    const updated = await coll.findOneAndUpdate(
      { _id: 'i' },
      { $set: { 'parts.$[p].hit': true } },
      { arrayFilters: [{ 'p.n': 2 }], returnDocument: 'after', projection: { parts: 1 } },
    );
    assert.deepEqual(updated, { _id: 'i', parts: [{ n: 1 }, { n: 2, hit: true }] });
    const replaced = await coll.findOneAndReplace(
      { _id: 'i' },
      { fresh: true },
      { returnDocument: 'after' },
    );
    assert.deepEqual(replaced, { _id: 'i', fresh: true });
    const deleted = await coll.findOneAndDelete({ _id: 'i' });
    assert.deepEqual(deleted, { _id: 'i', fresh: true });
    assert.equal(await coll.findOneAndDelete({ _id: 'i' }), null);
  });

  test('invalid combinations are rejected', async () => {
    await rejectsWithCode(
      () =>
        h.db.command({
          findAndModify: 'jobs',
          query: {},
          remove: true,
          update: { $set: { a: 1 } },
        }),
      9,
    );
    await rejectsWithCode(() => h.db.command({ findAndModify: 'jobs', query: {} }), 9);
  });

  test('a duplicate key is a top-level DuplicateKey error', async () => {
    const coll = h.db.collection<AnyDoc>('uniq');
    await coll.createIndex({ k: 1 }, { unique: true });
    await coll.insertMany([
      { _id: 1, k: 'a' },
      { _id: 2, k: 'b' },
    ]);
    const error = await rejectsWithCode(
      () =>
        h.db.command({ findAndModify: 'uniq', query: { _id: 2 }, update: { $set: { k: 'a' } } }),
      11000,
    );
    assert.equal(error.codeName, 'DuplicateKey');
    assert.deepEqual(error.errorResponse.keyPattern, { k: 1 });
    assert.deepEqual(error.errorResponse.keyValue, { k: 'a' });
    assert.equal((await coll.findOne({ _id: 2 }))?.k, 'b');
  });
});
