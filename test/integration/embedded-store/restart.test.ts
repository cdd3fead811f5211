// What a durable embedded store keeps across a stop and start: collections
// (uuid included), documents byte for byte, indexes with their rules, TTL
// expiry, counters, and exactly the part of a failed batch mongod keeps.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Binary,
  Decimal128,
  Double,
  Int32,
  Long,
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  ObjectId,
  Timestamp,
  type Db,
} from 'mongodb';
import { serialize } from '../../../src/embedded-mongo/bson.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../../src/embedded-mongo/index.ts';
import { waitUntil } from '../../support/wait.ts';
import type { AnyDoc } from '../../conformance/harness.ts';
import { tempDataDir } from './helpers.ts';

interface Open {
  mongo: EmbeddedMongo;
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

async function open(dataDir: string, ttlIntervalMs = 3_600_000): Promise<Open> {
  const mongo = await startEmbeddedMongo({ dataDir, ttlIntervalMs });
  const client = await MongoClient.connect(`${mongo.uri}restart`);
  return {
    mongo,
    client,
    db: client.db(),
    async close() {
      await client.close();
      await mongo.stop();
    },
  };
}

const RAW = { promoteValues: false, promoteLongs: false, promoteBuffers: false } as const;

describe('a durable embedded store across a restart', () => {
  const data = tempDataDir('restart');
  let first: Open;
  const typed = {
    _id: new ObjectId(),
    int: new Int32(7),
    integralDouble: new Double(2),
    double: 2.5,
    long: Long.fromString('9007199254740993'),
    decimal: Decimal128.fromString('1.10'),
    binary: new Binary(Buffer.from('bytes'), Binary.SUBTYPE_USER_DEFINED),
    uuid: new Binary(Buffer.alloc(16, 1), Binary.SUBTYPE_UUID),
    timestamp: new Timestamp({ t: 5, i: 1 }),
    date: new Date('2024-02-03T04:05:06.789Z'),
    nested: { list: [new Int32(1), 'two', null, { three: new Double(3) }] },
  };
  let uuidBefore: unknown;

  before(async () => {
    first = await open(data.dir);
    const db = first.db;
    await db.collection('typed').insertOne(typed);
    await db.collection<AnyDoc>('people').createIndexes([
      { key: { email: 1 }, name: 'email_unique', unique: true },
      { key: { team: 1, rank: -1 }, name: 'team_rank', sparse: true },
      {
        key: { ref: 1 },
        name: 'ref_partial',
        unique: true,
        partialFilterExpression: { ref: { $exists: true } },
      },
    ]);
    await db.collection<AnyDoc>('people').insertMany([
      { _id: 1, email: 'a@example.test', ref: 'r1' },
      { _id: 2, email: 'b@example.test' },
    ]);
    await db.collection<AnyDoc>('sessions').createIndex({ at: 1 }, { expireAfterSeconds: 0 });
    await db.collection<AnyDoc>('sessions').insertMany([
      { _id: 'expired', at: new Date(Date.now() - 60_000) },
      { _id: 'live', at: new Date(Date.now() + 3_600_000) },
    ]);
    for (let i = 0; i < 3; i++) {
      await db
        .collection<{ _id: string; seq: number }>('counters')
        .findOneAndUpdate({ _id: 'case' }, { $inc: { seq: 1 } }, { upsert: true });
    }
    // Ordered batch failing at its third document: mongod keeps the first two.
    await assert.rejects(
      db.collection<AnyDoc>('batch').insertMany([{ _id: 1 }, { _id: 2 }, { _id: 1 }, { _id: 4 }]),
      MongoBulkWriteError,
    );
    const infos = await db.listCollections({ name: 'people' }).toArray();
    uuidBefore = (infos[0] as { info?: { uuid?: unknown } }).info?.uuid;
    await first.close();
  });
  after(() => data.remove());

  test('documents come back with the same BSON bytes', async () => {
    const again = await open(data.dir);
    try {
      const stored = await again.db.collection('typed').findOne({ _id: typed._id }, RAW);
      assert.ok(stored);
      assert.deepEqual(Buffer.from(serialize(stored)), Buffer.from(serialize(typed)));
    } finally {
      await again.close();
    }
  });

  test('collections keep their uuid, indexes keep their rules', async () => {
    const again = await open(data.dir);
    try {
      const infos = await again.db.listCollections({ name: 'people' }).toArray();
      assert.deepEqual((infos[0] as { info?: { uuid?: unknown } }).info?.uuid, uuidBefore);
      const indexes = await again.db.collection<AnyDoc>('people').listIndexes().toArray();
      assert.deepEqual(
        indexes.map((index) => [index.name, index.unique ?? false, index.sparse ?? false]),
        [
          ['_id_', false, false],
          ['email_unique', true, false],
          ['team_rank', false, true],
          ['ref_partial', true, false],
        ],
      );
      const duplicate = await again.db
        .collection<AnyDoc>('people')
        .insertOne({ _id: 3, email: 'a@example.test' })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      assert.ok(duplicate instanceof MongoServerError);
      assert.equal(duplicate.code, 11000);
      assert.match(
        duplicate.message,
        /index: email_unique dup key: \{ email: "a@example\.test" \}/,
      );
      // The partial index ignores documents without `ref`, and still guards the ones with it.
      await again.db.collection<AnyDoc>('people').insertOne({ _id: 4, email: 'd@example.test' });
      await assert.rejects(
        again.db
          .collection<AnyDoc>('people')
          .insertOne({ _id: 5, email: 'e@example.test', ref: 'r1' }),
        (error: unknown) => error instanceof MongoServerError && error.code === 11000,
      );
    } finally {
      await again.close();
    }
  });

  test('counters continue where they stopped, and a failed batch kept its first writes', async () => {
    const again = await open(data.dir);
    try {
      const counter = await again.db
        .collection<{ _id: string; seq: number }>('counters')
        .findOneAndUpdate(
          { _id: 'case' },
          { $inc: { seq: 1 } },
          { upsert: true, returnDocument: 'after' },
        );
      assert.equal(counter?.seq, 4);
      const kept = await again.db.collection<AnyDoc>('batch').find().toArray();
      assert.deepEqual(
        kept.map((doc) => doc._id),
        [1, 2],
      );
    } finally {
      await again.close();
    }
  });

  test('TTL expiry runs again after the restart', async () => {
    const again = await open(data.dir, 50);
    try {
      const sessions = again.db.collection<{ _id: string }>('sessions');
      await waitUntil(async () => (await sessions.countDocuments({ _id: 'expired' })) === 0, {
        what: 'the TTL monitor to remove the expired session',
      });
      assert.deepEqual(
        (await sessions.find().toArray()).map((doc) => doc._id),
        ['live'],
      );
    } finally {
      await again.close();
    }
  });

  test('the store says which engine holds the data, and where', async () => {
    const again = await open(data.dir);
    try {
      const info = await again.client.db('admin').command({ postroomStoreInfo: 1 });
      assert.equal(info.engine, 'sqlite');
      assert.equal(info.dataDir, again.mongo.info().dataDir);
      assert.equal(info.pid, process.pid);
      assert.ok(String(info.dataDir).endsWith(data.dir.split('/').pop() ?? ''));
    } finally {
      await again.close();
    }
  });
});

describe('the in-memory store', () => {
  let mongo: EmbeddedMongo;
  before(async () => {
    mongo = await startEmbeddedMongo();
  });
  after(() => mongo.stop());

  test('says it is memory-only and refuses a backup precisely', async () => {
    const client = await MongoClient.connect(mongo.uri);
    try {
      const info = await client.db('admin').command({ postroomStoreInfo: 1 });
      assert.deepEqual(
        { engine: info.engine, dataDir: info.dataDir },
        { engine: 'memory', dataDir: null },
      );
      await assert.rejects(
        client.db('admin').command({ postroomBackup: 1, to: '/tmp/never' }),
        (error: unknown) =>
          error instanceof MongoServerError && /in memory only/.test(error.message),
      );
      await assert.rejects(mongo.backup('/tmp/never'), /in memory only/);
    } finally {
      await client.close();
    }
  });
});
