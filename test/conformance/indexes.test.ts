import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import { openHarness, rejectsWithCode, type AnyDoc, type Harness } from './harness.ts';

function assertDuplicate(error: unknown, keyPattern: AnyDoc, keyValue: AnyDoc): void {
  assert.ok(
    error instanceof MongoServerError || error instanceof MongoBulkWriteError,
    String(error),
  );
  assert.equal(error.code, 11000);
  assert.match(error.message, /E11000 duplicate key error collection: \S+ index: \S+ dup key: \{/);
  assert.deepEqual(error.keyPattern ?? error.errorResponse.keyPattern, keyPattern);
  assert.deepEqual(error.keyValue ?? error.errorResponse.keyValue, keyValue);
}

describe('indexes', () => {
  let h: Harness;
  before(async () => {
    h = await openHarness('idx');
  });
  after(async () => {
    await h.close();
  });

  test('createIndexes is idempotent for identical specs; listIndexes shows them', async () => {
    const coll = h.db.collection<AnyDoc>('catalog');
    assert.equal(await coll.createIndex({ a: 1 }), 'a_1');
    assert.equal(await coll.createIndex({ a: 1 }), 'a_1');
    await coll.createIndex({ b: 1, c: -1 }, { unique: true, name: 'bc' });
    const specs = await coll.listIndexes().toArray();
    assert.deepEqual(
      specs.map((s) => s.name),
      ['_id_', 'a_1', 'bc'],
    );
    assert.deepEqual(specs[0]?.key, { _id: 1 });
    assert.equal(specs[2]?.unique, true);
    assert.deepEqual(specs[2]?.key, { b: 1, c: -1 });
  });

  test('conflicting createIndexes: same name other key → 86, same key other name/options → 85', async () => {
    const coll = h.db.collection<AnyDoc>('catalog');
    await rejectsWithCode(() => coll.createIndex({ z: 1 }, { name: 'a_1' }), 86);
    await rejectsWithCode(() => coll.createIndex({ a: 1 }, { name: 'other' }), 85);
    await rejectsWithCode(() => coll.createIndex({ a: 1 }, { unique: true }), 85);
  });

  test('listIndexes on a missing collection → NamespaceNotFound (26)', async () => {
    const error = await rejectsWithCode(
      () => h.db.collection<AnyDoc>('nope').listIndexes().toArray(),
      26,
    );
    assert.equal(error.codeName, 'NamespaceNotFound');
  });

  test('dropIndexes by name, by key and "*"; the _id index stays', async () => {
    const coll = h.db.collection<AnyDoc>('drops');
    await coll.createIndexes([{ key: { x: 1 } }, { key: { y: 1 } }, { key: { z: 1 } }]);
    await coll.dropIndex('x_1');
    await coll.dropIndex({ y: 1 } as never);
    assert.deepEqual(
      (await coll.listIndexes().toArray()).map((s) => s.name),
      ['_id_', 'z_1'],
    );
    await rejectsWithCode(() => coll.dropIndex('nope_1'), 27);
    await coll.dropIndexes();
    assert.deepEqual(
      (await coll.listIndexes().toArray()).map((s) => s.name),
      ['_id_'],
    );
  });

  test('duplicate _id and unique index violations on insert', async () => {
    const coll = h.db.collection<AnyDoc>('users');
    await coll.createIndex({ email: 1 }, { unique: true });
    await coll.insertOne({ _id: 1, email: 'a@x' });
    await assert.rejects(
      coll.insertOne({ _id: 1, email: 'b@x' }),
      (e) => (assertDuplicate(e, { _id: 1 }, { _id: 1 }), true),
    );
    await assert.rejects(
      coll.insertOne({ _id: 2, email: 'a@x' }),
      (e) => (assertDuplicate(e, { email: 1 }, { email: 'a@x' }), true),
    );
  });

  test('unique violations on update, upsert, replace and findOneAndUpdate leave data untouched', async () => {
    const coll = h.db.collection<AnyDoc>('users');
    await coll.insertOne({ _id: 3, email: 'c@x' });
    await assert.rejects(
      coll.updateOne({ _id: 3 }, { $set: { email: 'a@x' } }),
      (e) => (assertDuplicate(e, { email: 1 }, { email: 'a@x' }), true),
    );
    await assert.rejects(
      coll.updateOne({ email: 'new@x' }, { $set: { email: 'a@x' } }, { upsert: true }),
      (e) => (assertDuplicate(e, { email: 1 }, { email: 'a@x' }), true),
    );
    await assert.rejects(
      coll.replaceOne({ _id: 3 }, { email: 'a@x' }),
      (e) => (assertDuplicate(e, { email: 1 }, { email: 'a@x' }), true),
    );
    await assert.rejects(
      coll.findOneAndUpdate({ _id: 3 }, { $set: { email: 'a@x' } }),
      (e) => (assertDuplicate(e, { email: 1 }, { email: 'a@x' }), true),
    );
    assert.equal((await coll.findOne({ _id: 3 }))?.email, 'c@x');
    assert.equal(await coll.countDocuments(), 2);
  });

  test('bulkWrite(ordered: false) reports each duplicate and applies the rest', async () => {
    const coll = h.db.collection<AnyDoc>('users');
    await assert.rejects(
      coll.bulkWrite(
        [
          { insertOne: { document: { _id: 10, email: 'a@x' } } },
          { insertOne: { document: { _id: 11, email: 'z@x' } } },
          { updateOne: { filter: { _id: 11 }, update: { $set: { email: 'c@x' } } } },
          { insertOne: { document: { _id: 12, email: 'y@x' } } },
        ],
        { ordered: false },
      ),
      (error) => {
        assert.ok(error instanceof MongoBulkWriteError);
        const errors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
        assert.deepEqual(
          errors.map((e) => [e.index, e.code]),
          [
            [0, 11000],
            [2, 11000],
          ],
        );
        assert.match(errors[0]?.errmsg ?? '', /index: email_1 dup key: \{ email: "a@x" \}/);
        assert.equal(error.result.insertedCount, 2);
        return true;
      },
    );
    assert.equal(await coll.countDocuments({ _id: { $in: [11, 12] } }), 2);
  });

  test('write commands report keyPattern and keyValue in writeErrors with ok: 1', async () => {
    const reply = await h.db.command({
      insert: 'users',
      documents: [
        { _id: 20, email: 'a@x' },
        { _id: 21, email: 'w@x' },
      ],
      ordered: false,
    });
    assert.equal(reply.ok, 1);
    assert.equal(reply.n, 1);
    assert.equal(reply.writeErrors.length, 1);
    const [error] = reply.writeErrors;
    assert.equal(error.index, 0);
    assert.equal(error.code, 11000);
    assert.deepEqual(error.keyPattern, { email: 1 });
    assert.deepEqual(error.keyValue, { email: 'a@x' });
    assert.match(
      error.errmsg,
      /^E11000 duplicate key error collection: \S+\.users index: email_1 dup key: \{ email: "a@x" \}$/,
    );
  });

  test('missing fields: non-sparse unique treats them as null, sparse skips them', async () => {
    const dense = h.db.collection<AnyDoc>('dense');
    await dense.createIndex({ code: 1 }, { unique: true });
    await dense.insertOne({ n: 1 });
    await assert.rejects(
      dense.insertOne({ n: 2 }),
      (e) => (assertDuplicate(e, { code: 1 }, { code: null }), true),
    );
    const sparse = h.db.collection<AnyDoc>('sparse');
    await sparse.createIndex({ code: 1 }, { unique: true, sparse: true });
    await sparse.insertMany([{ n: 1 }, { n: 2 }, { code: 'k' }]);
    await assert.rejects(
      sparse.insertOne({ code: 'k' }),
      (e) => (assertDuplicate(e, { code: 1 }, { code: 'k' }), true),
    );
  });

  test('partial unique indexes only constrain matching documents; compound keys combine fields', async () => {
    const coll = h.db.collection<AnyDoc>('partial');
    await coll.createIndex(
      { account: 1, number: 1 },
      { unique: true, partialFilterExpression: { active: true } },
    );
    await coll.insertMany([
      { account: 'a', number: 1, active: true },
      { account: 'a', number: 1, active: false },
      { account: 'b', number: 1, active: true },
    ]);
    await assert.rejects(
      coll.insertOne({ account: 'a', number: 1, active: true }),
      (e) => (assertDuplicate(e, { account: 1, number: 1 }, { account: 'a', number: 1 }), true),
    );
    await assert.rejects(
      coll.updateOne({ account: 'a', active: false }, { $set: { active: true } }),
      (e) => (assertDuplicate(e, { account: 1, number: 1 }, { account: 'a', number: 1 }), true),
    );
  });

  test('unique indexes on array fields constrain each element', async () => {
    const coll = h.db.collection<AnyDoc>('multikey');
    await coll.createIndex({ tags: 1 }, { unique: true });
    await coll.insertOne({ tags: ['x', 'y'] });
    await assert.rejects(
      coll.insertOne({ tags: ['z', 'y'] }),
      (e) => (assertDuplicate(e, { tags: 1 }, { tags: 'y' }), true),
    );
  });

  test('a unique key stays taken through updates of other fields and is freed when it changes', async () => {
    const coll = h.db.collection<AnyDoc>('keyheld');
    await coll.createIndex({ 'k.a': 1 }, { unique: true, partialFilterExpression: { live: true } });
    await coll.insertOne({ _id: 1, k: { a: 1 }, live: true, n: 0 });
    await coll.updateOne({ _id: 1 }, { $inc: { n: 1 } });
    await coll.updateOne({ _id: 1 }, { $set: { 'k.b': 2 } });
    await rejectsWithCode(() => coll.insertOne({ _id: 2, k: { a: 1 }, live: true }), 11000);
    await coll.updateOne({ _id: 1 }, { $set: { live: false } });
    await coll.insertOne({ _id: 2, k: { a: 1 }, live: true });
    await rejectsWithCode(() => coll.updateOne({ _id: 1 }, { $set: { live: true } }), 11000);
    await coll.updateOne({ _id: 2 }, { $set: { 'k.a': 3 } });
    await coll.updateOne({ _id: 1 }, { $set: { live: true } });
  });

  test('equality on an indexed field finds every match as documents change', async () => {
    const coll = h.db.collection<AnyDoc>('lookup');
    await coll.createIndex({ owner: 1, n: 1 });
    // A partial index must not hide the documents outside its filter from a query.
    await coll.createIndex({ 'meta.owner': 1 }, { partialFilterExpression: { n: { $gt: 0 } } });
    await coll.insertMany([
      { _id: 1, owner: 'x', n: 1, meta: { owner: 'x' } },
      { _id: 2, owner: 'y', n: 2, meta: [{ owner: 'x' }, { owner: 'z' }] },
      { _id: 3, owner: ['y', 'x'], n: 0, meta: { owner: ['x'] } },
      { _id: 4, n: 3, meta: null },
      { _id: 5, owner: null, n: 4, meta: 'x' },
      { _id: 6, owner: 7, n: -1, meta: { owner: 'x' } },
      { _id: 7, owner: { x: 1 }, n: 5, meta: { owner: 'X' } },
    ]);
    const ids = async (filter: AnyDoc): Promise<unknown[]> =>
      (await coll.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);
    assert.deepEqual(await ids({ owner: 'x' }), [1, 3]);
    assert.deepEqual(await ids({ 'meta.owner': 'x' }), [1, 2, 3, 6]);
    assert.deepEqual(await ids({ owner: 'x', 'meta.owner': 'x', n: { $lt: 1 } }), [3]);
    assert.equal(await coll.countDocuments({ owner: 'y' }), 2);

    await coll.updateOne({ _id: 1 }, { $set: { owner: 'z' } });
    await coll.updateOne({ _id: 4 }, { $set: { owner: 'x', meta: { owner: 'x' } } });
    await coll.updateOne({ _id: 6 }, { $set: { 'meta.owner': ['w', 'x'] } });
    assert.deepEqual(await ids({ owner: 'x' }), [3, 4]);
    assert.deepEqual(await ids({ owner: 'z' }), [1]);
    assert.deepEqual(await ids({ 'meta.owner': 'x' }), [1, 2, 3, 4, 6]);

    assert.equal(
      (await coll.updateMany({ owner: 'x' }, { $set: { seen: true } })).modifiedCount,
      2,
    );
    assert.equal((await coll.deleteMany({ owner: 'x', n: 0 })).deletedCount, 1);
    assert.deepEqual(await ids({ owner: 'x' }), [4]);
    await coll.insertOne({ _id: 8, owner: 'x', n: 8 });
    assert.deepEqual(await ids({ owner: 'x' }), [4, 8]);

    await coll.dropIndexes();
    assert.deepEqual(await ids({ owner: 'x' }), [4, 8]);
    assert.deepEqual(await ids({ 'meta.owner': 'x' }), [1, 2, 4, 6]);
  });

  test('creating a unique index over existing duplicates fails with 11000', async () => {
    const coll = h.db.collection<AnyDoc>('predup');
    await coll.insertMany([{ k: 1 }, { k: 1 }]);
    await rejectsWithCode(() => coll.createIndex({ k: 1 }, { unique: true }), 11000);
    assert.deepEqual(
      (await coll.listIndexes().toArray()).map((s) => s.name),
      ['_id_'],
    );
  });
});
