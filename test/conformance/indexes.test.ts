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
