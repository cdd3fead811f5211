// Behaviour specific to the embedded store (a real MongoDB differs or offers
// more), so these start their own instance instead of using the shared URI.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, MongoServerError, ObjectId, type Db } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../../src/embedded-mongo/index.ts';

describe('embedded store specifics', () => {
  let mongo: EmbeddedMongo;
  let client: MongoClient;
  let db: Db;
  before(async () => {
    mongo = await startEmbeddedMongo({ port: 0, ttlIntervalMs: 50 });
    client = await MongoClient.connect(`${mongo.uri}specifics`);
    db = client.db();
    await db.collection('c').insertMany([{ a: 1 }, { a: 2 }]);
  });
  after(async () => {
    await client.close();
    await mongo.stop();
  });

  const failsWith = async (action: () => Promise<unknown>, code: number, message: RegExp) => {
    await assert.rejects(action, (error) => {
      assert.ok(error instanceof MongoServerError, String(error));
      assert.equal(error.code, code);
      assert.match(error.message, message);
      return true;
    });
  };

  test('the uri names 127.0.0.1 and the chosen port', () => {
    assert.equal(mongo.uri, `mongodb://127.0.0.1:${mongo.port}/`);
  });

  test('unsupported query features fail precisely instead of answering wrongly', async () => {
    // The percentiles of 9 and 10 would come out of a text sort as if 10 < 9.
    await failsWith(
      () =>
        db
          .collection('c')
          .aggregate([
            {
              $group: {
                _id: null,
                p: { $percentile: { input: '$a', p: [0.5], method: 'approximate' } },
              },
            },
          ])
          .toArray(),
      2,
      /\$percentile is not supported by the embedded store/,
    );
    await failsWith(
      () =>
        db
          .collection('c')
          .aggregate([
            { $group: { _id: null, m: { $median: { input: '$a', method: 'approximate' } } } },
          ])
          .toArray(),
      2,
      /\$median is not supported/,
    );
    await failsWith(
      () => db.collection('c').find({ $where: 'true' }).toArray(),
      2,
      /\$where is not supported by the embedded store/,
    );
    await failsWith(
      () =>
        db
          .collection('c')
          .find({ $text: { $search: 'x' } })
          .toArray(),
      2,
      /\$text is not supported/,
    );
    await failsWith(
      () =>
        db
          .collection('c')
          .find({}, { collation: { locale: 'fr' } })
          .toArray(),
      2,
      /collation/,
    );
    await failsWith(
      () =>
        db
          .collection('c')
          .aggregate([{ $out: 'x' }])
          .toArray(),
      2,
      /\$out aggregation stage is not supported/,
    );
    await failsWith(
      () =>
        db
          .collection('c')
          .aggregate([{ $merge: { into: 'x' } }])
          .toArray(),
      2,
      /\$merge/,
    );
    await failsWith(
      () =>
        db
          .collection('c')
          .aggregate([{ $listLocalSessions: {} }])
          .toArray(),
      2,
      /\$listLocalSessions aggregation stage is not supported by the embedded store/,
    );
    await failsWith(() => db.collection('c').createIndex({ body: 'text' }), 2, /text index/);
  });

  test('an indexed equality returns documents in natural order, as a scan does', async () => {
    type Owned = { _id: number; owner: string | string[] };
    const indexed = db.collection<Owned>('ordered');
    const scanned = db.collection<Owned>('ordered_scan');
    await indexed.createIndex({ owner: 1 });
    for (const coll of [indexed, scanned]) {
      await coll.insertMany([
        { _id: 3, owner: 'x' },
        { _id: 1, owner: 'y' },
        { _id: 2, owner: 'x' },
        { _id: 0, owner: ['x'] },
      ]);
      // Leaving and rejoining the value moves a document in the lookup, not in natural order.
      await coll.updateOne({ _id: 3 }, { $set: { owner: 'y' } });
      await coll.updateOne({ _id: 3 }, { $set: { owner: 'x' } });
      await coll.updateOne({ _id: 1 }, { $set: { owner: 'x' } });
    }
    const order = async (coll: typeof indexed) =>
      (await coll.find({ owner: 'x' }).toArray()).map((d) => d._id);
    assert.deepEqual(await order(indexed), [3, 1, 2, 0]);
    assert.deepEqual(await order(indexed), await order(scanned));
  });

  test('lookups by any indexed field answer as a scan does (strings, ObjectIds, $eq, $in)', async () => {
    type Ref = { _id: number; tenant: string; ref?: unknown; file?: unknown };
    const indexed = db.collection<Ref>('refs');
    const scanned = db.collection<Ref>('refs_scan');
    // The tenant leads and is shared: the lookups below go by the other fields.
    await indexed.createIndex({ tenant: 1, ref: 1 });
    await indexed.createIndex({ tenant: 1, file: 1 });
    const fileA = new ObjectId();
    const fileB = new ObjectId();
    const docs: Ref[] = [
      { _id: 1, tenant: 't', ref: 'a', file: fileA },
      { _id: 2, tenant: 't', ref: 'b', file: fileB },
      { _id: 3, tenant: 't', ref: ['a', 'c'], file: [fileB, fileA] },
      { _id: 4, tenant: 't', ref: { deep: 'a' }, file: fileA.toHexString() },
      { _id: 5, tenant: 't', ref: null, file: new Date(0) },
      { _id: 6, tenant: 't' },
    ];
    for (let i = 7; i < 40; i++) docs.push({ _id: i, tenant: 't', ref: `other-${i}` });
    for (const coll of [indexed, scanned]) await coll.insertMany(docs);
    const filters = [
      { tenant: 't', ref: 'a' },
      { ref: { $eq: 'a' } },
      { ref: { $in: ['b', 'c'] } },
      { ref: { $in: [] } },
      { file: fileA },
      { file: { $eq: fileB } },
      { file: { $in: [fileA, fileB] } },
      { file: fileA.toHexString() },
      { _id: { $eq: 3 } },
    ];
    for (const filter of filters) {
      const ids = async (coll: typeof indexed) =>
        (await coll.find(filter).toArray()).map((d) => d._id);
      assert.deepEqual(await ids(indexed), await ids(scanned), JSON.stringify(filter));
    }
    assert.deepEqual(
      (await indexed.find({ file: fileA }).toArray()).map((d) => d._id),
      [1, 3],
    );
  });

  test('countDocuments counts matches, and nothing in an empty or missing collection', async () => {
    await db.collection('counted').insertMany([{ k: 'a' }, { k: 'b' }, { k: 'a' }]);
    assert.equal(await db.collection('counted').countDocuments({ k: 'a' }), 2);
    assert.equal(await db.collection('counted').countDocuments({ k: 'z' }), 0);
    assert.equal(await db.collection('never_created').countDocuments({}), 0);
    assert.deepEqual(
      await db
        .collection('counted')
        .aggregate([{ $match: { k: 'a' } }, { $group: { _id: 1, n: { $sum: 1 } } }])
        .toArray(),
      [{ _id: 1, n: 2 }],
    );
    assert.deepEqual(
      await db
        .collection('counted')
        .aggregate([{ $match: { k: 'z' } }, { $group: { _id: null, n: { $sum: 1 } } }])
        .toArray(),
      [],
    );
  });

  test('transactions are refused as on a standalone mongod', async () => {
    const session = client.startSession();
    try {
      session.startTransaction();
      // The driver rewraps mongod's code 20 reply into its "retryable writes" hint, as on a real standalone.
      await assert.rejects(db.collection('c').insertOne({ a: 3 }, { session }), (error: Error) => {
        assert.match(error.message, /retryable writes|Transaction numbers are only allowed/);
        return true;
      });
    } finally {
      await session.endSession().catch(() => undefined);
    }
  });

  test('stop() closes client sockets and the listener', async () => {
    const other = await startEmbeddedMongo();
    const c = await MongoClient.connect(other.uri, { serverSelectionTimeoutMS: 500 });
    await c.db('x').command({ ping: 1 });
    await other.stop();
    await assert.rejects(c.db('x').command({ ping: 1 }));
    await c.close();
  });
});
