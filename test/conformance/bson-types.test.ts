import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Binary,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
} from 'mongodb';
import { openHarness, type AnyDoc, type Harness } from './harness.ts';

describe('BSON types', () => {
  let h: Harness;
  before(async () => {
    h = await openHarness('bson');
  });
  after(async () => {
    await h.close();
  });

  test('values round-trip with their exact BSON types', async () => {
    const coll = h.db.collection<AnyDoc>('types');
    const oid = new ObjectId();
    const doc = {
      _id: Long.fromString('9007199254740993'),
      oid,
      date: new Date('2024-05-06T07:08:09.123Z'),
      long: Long.fromNumber(42),
      int: new Int32(7),
      double: new Double(7),
      fraction: 2.5,
      decimal: Decimal128.fromString('12345.6789'),
      binary: new Binary(Buffer.from([0, 1, 2, 255]), 0),
      uuid: new Binary(Buffer.alloc(16, 7), 4),
      nil: null,
      ts: new Timestamp({ t: 1700000000, i: 3 }),
      nested: { arr: [new Int32(1), new Double(1), Long.fromNumber(1)] },
    };
    await coll.insertOne(doc);
    const back = await coll.findOne(
      { _id: doc._id },
      { promoteValues: false, promoteLongs: false },
    );
    assert.ok(back);
    assert.equal((back._id as Long)._bsontype, 'Long');
    assert.equal(back._id.toString(), '9007199254740993');
    assert.equal(back.oid.toHexString(), oid.toHexString());
    assert.equal(back.date.getTime(), doc.date.getTime());
    assert.equal(back.long._bsontype, 'Long');
    assert.equal(back.int._bsontype, 'Int32');
    assert.equal(back.double._bsontype, 'Double');
    assert.equal(back.fraction._bsontype, 'Double');
    assert.equal(back.decimal.toString(), '12345.6789');
    assert.deepEqual([...back.binary.buffer], [0, 1, 2, 255]);
    assert.equal(back.uuid.sub_type, 4);
    assert.equal(back.nil, null);
    assert.equal(back.ts.t, 1700000000);
    assert.deepEqual(
      back.nested.arr.map((v: { _bsontype: string }) => v._bsontype),
      ['Int32', 'Double', 'Long'],
    );
  });

  test('ObjectId, Date and Long values work in filters', async () => {
    const coll = h.db.collection<AnyDoc>('filters');
    const ids = [new ObjectId(), new ObjectId()];
    await coll.insertMany([
      { ref: ids[0], at: new Date(1000), n: Long.fromNumber(5) },
      { ref: ids[1], at: new Date(2000), n: Long.fromNumber(50) },
    ]);
    assert.equal(await coll.countDocuments({ ref: new ObjectId(ids[0]?.toHexString()) }), 1);
    assert.equal(await coll.countDocuments({ ref: { $in: ids } }), 2);
    assert.equal(await coll.countDocuments({ at: { $gt: new Date(1500) } }), 1);
    assert.equal(await coll.countDocuments({ n: { $gte: 10 } }), 1);
    assert.equal(await coll.countDocuments({ n: 5 }), 1);
    const updated = await coll.findOneAndUpdate(
      { n: 5 },
      { $inc: { n: 1 } },
      { returnDocument: 'after', promoteLongs: false },
    );
    assert.equal(updated?.n._bsontype, 'Long');
    assert.equal(updated?.n.toString(), '6');
  });

  test('sorting across types follows BSON comparison order', async () => {
    const coll = h.db.collection<AnyDoc>('order');
    const oid = new ObjectId();
    const values: Array<[string, unknown]> = [
      ['maxkey', new MaxKey()],
      ['regex', /abc/],
      ['date', new Date(0)],
      ['bool', true],
      ['oid', oid],
      ['bin', new Binary(Buffer.from('x'))],
      ['arr', [5]], // sorts as its element 5, after the number 3
      ['obj', { a: 1 }],
      ['str', 'hello'],
      ['num', 3],
      ['null', null],
      ['minkey', new MinKey()],
    ];
    await coll.insertMany(values.map(([name, v]) => ({ name, v })));
    await coll.insertOne({ name: 'missing' });
    const asc = (await coll.find({}, { sort: { v: 1, name: 1 } }).toArray()).map((d) => d.name);
    assert.deepEqual(asc, [
      'minkey',
      'missing',
      'null',
      'num',
      'arr',
      'str',
      'obj',
      'bin',
      'oid',
      'bool',
      'date',
      'regex',
      'maxkey',
    ]);
    const numbers = h.db.collection<AnyDoc>('numbers');
    await numbers.insertMany([
      { v: 2.5 },
      { v: new Int32(3) },
      { v: Long.fromNumber(1) },
      { v: new Double(-1) },
    ]);
    const sorted = (await numbers.find({}, { sort: { v: -1 } }).toArray()).map((d) => Number(d.v));
    assert.deepEqual(sorted, [3, 2.5, 1, -1]);
  });

  test('arrays sort by their smallest element ascending and largest descending', async () => {
    const coll = h.db.collection<AnyDoc>('arrays');
    await coll.insertMany([
      { name: 'a', v: [1, 10] },
      { name: 'b', v: [5] },
      { name: 'c', v: [0, 7] },
    ]);
    const asc = (await coll.find({}, { sort: { v: 1 } }).toArray()).map((d) => d.name);
    assert.deepEqual(asc, ['c', 'a', 'b']);
    const desc = (await coll.find({}, { sort: { v: -1 } }).toArray()).map((d) => d.name);
    assert.deepEqual(desc, ['a', 'c', 'b']);
  });
});
