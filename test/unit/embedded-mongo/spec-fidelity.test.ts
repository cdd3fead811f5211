// Answers the embedded store used to get silently wrong, each now as mongod
// 7.0 (the version the store reports) gives it; found by the spec runner.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Long, MongoClient, MongoServerError, type Collection, type Db } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../../src/embedded-mongo/index.ts';

/** Test documents keyed by number, as the spec tests are (null and document ids are cast). */
type Row = { _id: number; [field: string]: unknown };

describe('embedded store fidelity', () => {
  let mongo: EmbeddedMongo;
  let client: MongoClient;
  let db: Db;
  let coll: Collection<Row>;
  before(async () => {
    mongo = await startEmbeddedMongo({ port: 0 });
    client = await MongoClient.connect(`${mongo.uri}fidelity`);
    db = client.db();
  });
  after(async () => {
    await client.close();
    await mongo.stop();
  });
  beforeEach(async () => {
    await db.dropDatabase();
    coll = db.collection<Row>('c');
    await coll.insertMany([
      { _id: 1, x: 11, big: Long.fromNumber(5) } as never,
      { _id: 2, x: 22 } as never,
      { _id: 3, x: 33 } as never,
    ]);
  });

  const serverError = async (action: () => Promise<unknown>, code: number, message: RegExp) => {
    await assert.rejects(action, (error) => {
      assert.ok(error instanceof MongoServerError, String(error));
      assert.equal(error.code, code);
      assert.match(error.message, message);
      return true;
    });
  };

  test('sort on an update statement fails the whole command, as 7.0 does', async () => {
    await serverError(
      () =>
        db.command({
          update: 'c',
          updates: [{ q: { _id: { $gt: 1 } }, u: { $inc: { x: 1 } }, sort: { _id: -1 } }],
        }),
      40415,
      /BSON field 'update.updates.sort' is an unknown field/,
    );
    await serverError(
      () => coll.replaceOne({ _id: { $gt: 1 } }, { x: 0 }, { sort: { _id: -1 } } as never),
      40415,
      /update\.updates\.sort/,
    );
    assert.deepEqual(
      (await coll.find({}, { projection: { x: 1 } }).toArray()).map((d) => d.x),
      [11, 22, 33],
    );
  });

  test('let values are expressions, evaluated before use', async () => {
    const found = await coll
      .aggregate([{ $match: { _id: 1 } }, { $project: { _id: 0, y: '$$bar', z: '$$sum' } }], {
        let: { bar: { $literal: '$bar' }, sum: { $add: [1, 2] } },
      })
      .toArray();
    assert.deepEqual(found, [{ y: '$bar', z: 3 }]);
    const viaFind = await coll
      .find({ $expr: { $eq: ['$_id', '$$id'] } }, { let: { id: { $add: [1, 1] } } })
      .toArray();
    assert.deepEqual(
      viaFind.map((d) => d._id),
      [2],
    );
  });

  test('let reaches update, delete, replace and findAndModify filters', async () => {
    const byId = { $expr: { $eq: ['$_id', '$$id'] } };
    const updated = await coll.updateOne(byId, { $set: { x: 'u' } }, { let: { id: 1 } });
    assert.equal(updated.modifiedCount, 1);
    const replaced = await coll.replaceOne(byId, { x: 'r' }, { let: { id: 2 } });
    assert.equal(replaced.modifiedCount, 1);
    const returned = await coll.findOneAndUpdate(
      byId,
      { $set: { x: 'f' } },
      { let: { id: 3 }, returnDocument: 'after' },
    );
    assert.deepEqual(returned, { _id: 3, x: 'f' });
    const deleted = await coll.deleteOne(byId, { let: { id: 1 } });
    assert.equal(deleted.deletedCount, 1);
    assert.deepEqual(await coll.find().toArray(), [
      { _id: 2, x: 'r' },
      { _id: 3, x: 'f' },
    ]);
  });

  test('pipeline-style updates run $set, $unset, $project and $replaceWith, using let', async () => {
    await coll.updateOne(
      { _id: 1 },
      [{ $set: { y: { $add: ['$x', '$$inc'] } } }, { $unset: 'x' }],
      {
        let: { inc: 1 },
      },
    );
    const one = await coll.findOne({ _id: 1 }, { promoteLongs: false });
    assert.deepEqual(
      one,
      { _id: 1, big: Long.fromNumber(5), y: 12 },
      'untouched fields keep their BSON type',
    );
    await coll.updateMany({ _id: { $gte: 2 } }, [
      { $project: { doubled: { $multiply: ['$x', 2] } } },
    ]);
    await coll.findOneAndUpdate({ _id: 3 }, [{ $replaceWith: { z: '$doubled' } }]);
    assert.deepEqual(await coll.find({ _id: { $gte: 2 } }).toArray(), [
      { _id: 2, doubled: 44 },
      { _id: 3, z: 66 },
    ]);
    await serverError(
      () => coll.updateOne({ _id: 2 }, [{ $match: {} }]),
      72,
      /\$match is not allowed to be used within an update/,
    );
    await serverError(() => coll.updateOne({ _id: 2 }, [{ $set: { _id: 9 } }]), 66, /immutable/);
    const upserted = await coll.updateOne({ _id: 7 }, [{ $set: { v: '$$NOW' } }], { upsert: true });
    assert.equal(upserted.upsertedId, 7);
  });

  test('an upserted replacement keeps _id: null', async () => {
    const result = await coll.replaceOne({ _id: 99 }, { _id: null, x: 0 } as never, {
      upsert: true,
    });
    assert.equal(result.upsertedId, null);
    assert.deepEqual(await coll.find({ _id: { $type: 'null' } }).toArray(), [{ _id: null, x: 0 }]);
  });

  test('a $-prefixed field inside _id is refused on insert, replacement and upsert', async () => {
    await serverError(
      () =>
        db.command({ insert: 'c', documents: [{ _id: { $a: 1 } }] }).then((r) => {
          if (r.writeErrors) throw new MongoServerError(r.writeErrors[0]);
        }),
      52,
      /_id fields may not contain '\$'-prefixed fields: \$a is not valid for storage/,
    );
    await assert.rejects(
      () => coll.insertOne({ _id: { a: { $b: 1 } } } as never),
      /\$b is not valid for storage/,
    );
    await assert.rejects(
      () => coll.replaceOne({ _id: 50 }, { _id: { $c: 1 } } as never, { upsert: true }),
      /\$c is not valid for storage/,
    );
    assert.equal(await coll.countDocuments(), 3);
  });

  test('a projection of only {_id: 1} returns only _id', async () => {
    assert.deepEqual(await coll.find({}, { projection: { _id: 1 } }).toArray(), [
      { _id: 1 },
      { _id: 2 },
      { _id: 3 },
    ]);
    assert.deepEqual(await coll.findOne({ _id: 2 }, { projection: { _id: 0 } }), { x: 22 });
  });
});
