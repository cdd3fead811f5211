// Behaviour specific to the embedded store (a real MongoDB differs or offers
// more), so these start their own instance instead of using the shared URI.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, MongoServerError, type Db } from 'mongodb';
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
      () => db.collection('c').updateOne({}, [{ $set: { a: 1 } }]),
      2,
      /pipeline-style update/,
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
