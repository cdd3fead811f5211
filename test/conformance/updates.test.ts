import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Double, Long, ObjectId } from 'mongodb';
import { openHarness, rejectsWithCode, type AnyDoc, type Harness } from './harness.ts';

describe('update operators, positional updates and upserts', () => {
  let h: Harness;
  let n = 0;
  before(async () => {
    h = await openHarness('upd');
  });
  after(async () => {
    await h.close();
  });

  /** Inserts `doc`, applies `update` (with options), returns the stored result without _id. */
  async function applied(doc: AnyDoc, update: object, options: object = {}): Promise<AnyDoc> {
    const coll = h.db.collection<AnyDoc>('ops');
    const _id = ++n;
    await coll.insertOne({ _id, ...doc } as AnyDoc);
    await coll.updateOne({ _id, ...(options as { filter?: AnyDoc }).filter }, update, options);
    const { _id: _ignored, ...rest } = (await coll.findOne({ _id } as AnyDoc)) ?? {};
    return rest;
  }

  test('$set, $unset, $inc, $mul, $min, $max, $rename', async () => {
    assert.deepEqual(await applied({ a: 1 }, { $set: { a: 2, 'b.c': 3 } }), { a: 2, b: { c: 3 } });
    assert.deepEqual(await applied({ a: 1, b: 2 }, { $unset: { a: '' } }), { b: 2 });
    assert.deepEqual(await applied({ a: 1 }, { $inc: { a: 2, z: -1 } }), { a: 3, z: -1 });
    assert.deepEqual(await applied({ a: 1.5 }, { $mul: { a: 2, m: 3 } }), { a: 3, m: 0 });
    assert.deepEqual(await applied({ a: 5, b: 5 }, { $min: { a: 3, b: 9 }, $max: { c: 1 } }), {
      a: 3,
      b: 5,
      c: 1,
    });
    assert.deepEqual(await applied({ a: 1, b: 2 }, { $rename: { a: 'x' } }), { b: 2, x: 1 });
  });

  test('$currentDate writes the server time', async () => {
    const before = Date.now() - 5_000;
    const doc = await applied({}, { $currentDate: { at: true, ts: { $type: 'date' } } });
    assert.ok(doc.at instanceof Date && doc.at.getTime() >= before);
    assert.ok(doc.ts instanceof Date);
  });

  test('$push with $each, $position, $sort and $slice; $addToSet; $pop; $pull; $pullAll', async () => {
    assert.deepEqual(await applied({ a: [1] }, { $push: { a: 2 } }), { a: [1, 2] });
    assert.deepEqual(await applied({}, { $push: { a: 'x' } }), { a: ['x'] });
    assert.deepEqual(
      await applied({ a: [1, 4] }, { $push: { a: { $each: [2, 3], $position: 1 } } }),
      { a: [1, 2, 3, 4] },
    );
    assert.deepEqual(
      await applied({ a: [5, 1] }, { $push: { a: { $each: [3], $sort: -1, $slice: 2 } } }),
      { a: [5, 3] },
    );
    assert.deepEqual(
      await applied(
        { a: [{ s: 2 }, { s: 9 }] },
        { $push: { a: { $each: [{ s: 5 }], $sort: { s: 1 }, $slice: -2 } } },
      ),
      { a: [{ s: 5 }, { s: 9 }] },
    );
    assert.deepEqual(await applied({ a: [1, 2] }, { $addToSet: { a: 2 } }), { a: [1, 2] });
    assert.deepEqual(await applied({ a: [1] }, { $addToSet: { a: { $each: [1, 3, 3] } } }), {
      a: [1, 3],
    });
    assert.deepEqual(await applied({ a: [1, 2, 3] }, { $pop: { a: 1 } }), { a: [1, 2] });
    assert.deepEqual(await applied({ a: [1, 2, 3] }, { $pop: { a: -1 } }), { a: [2, 3] });
    assert.deepEqual(await applied({ a: [1, 5, 7, 2] }, { $pull: { a: { $gte: 5 } } }), {
      a: [1, 2],
    });
    assert.deepEqual(
      await applied(
        {
          a: [
            { k: 1, v: 'x' },
            { k: 2, v: 'y' },
          ],
        },
        { $pull: { a: { k: 2 } } },
      ),
      { a: [{ k: 1, v: 'x' }] },
    );
    assert.deepEqual(await applied({ a: [1, 2, 3, 2] }, { $pullAll: { a: [2, 3] } }), { a: [1] });
  });

  test('positional $, $[] and $[<id>] with arrayFilters', async () => {
    assert.deepEqual(
      await applied(
        {
          a: [
            { k: 1, v: 0 },
            { k: 2, v: 0 },
          ],
        },
        { $set: { 'a.$.v': 9 } },
        { filter: { 'a.k': 2 } },
      ),
      {
        a: [
          { k: 1, v: 0 },
          { k: 2, v: 9 },
        ],
      },
    );
    assert.deepEqual(await applied({ a: [1, 2, 3] }, { $inc: { 'a.$[]': 10 } }), {
      a: [11, 12, 13],
    });
    assert.deepEqual(
      await applied(
        { a: [{ g: 1 }, { g: 7 }, { g: 9 }] },
        { $set: { 'a.$[big].top': true } },
        { arrayFilters: [{ 'big.g': { $gt: 5 } }] },
      ),
      { a: [{ g: 1 }, { g: 7, top: true }, { g: 9, top: true }] },
    );
    assert.deepEqual(
      await applied(
        { a: [1, 8, 3] },
        { $set: { 'a.$[x]': 0 } },
        { arrayFilters: [{ x: { $lt: 5 } }] },
      ),
      { a: [0, 8, 0] },
    );
  });

  test('mongod errors: type mismatch (14), conflicts (40), immutable _id (66), unknown modifier (9)', async () => {
    const coll = h.db.collection<AnyDoc>('errs');
    await coll.insertOne({ _id: 'e', s: 'text', a: [1] });
    const inc = await rejectsWithCode(() => coll.updateOne({ _id: 'e' }, { $inc: { s: 1 } }), 14);
    assert.match(inc.message, /Cannot apply \$inc to a value of non-numeric type/);
    await rejectsWithCode(() => coll.updateOne({ _id: 'e' }, { $inc: { n: 'x' } } as never), 14);
    await rejectsWithCode(
      () => coll.updateOne({ _id: 'e' }, { $set: { a: 1 }, $inc: { a: 1 } }),
      40,
    );
    await rejectsWithCode(() => coll.updateOne({ _id: 'e' }, { $set: { 'x.y': 1, x: 2 } }), 40);
    await rejectsWithCode(() => coll.updateOne({ _id: 'e' }, { $set: { _id: 'other' } }), 66);
    await rejectsWithCode(() => coll.updateOne({ _id: 'e' }, { $frob: { a: 1 } } as never), 9);
    await rejectsWithCode(() => coll.updateOne({ _id: 'e' }, { $push: { s: 1 } } as never), 2);
    await rejectsWithCode(() => coll.updateOne({ _id: 'e' }, { $set: { 's.x': 1 } }), 28);
    const stored = await coll.findOne({ _id: 'e' });
    assert.deepEqual(
      stored,
      { _id: 'e', s: 'text', a: [1] },
      'a failed update leaves the document untouched',
    );
  });

  test('matched vs modified counts and updateMany', async () => {
    const coll = h.db.collection<AnyDoc>('counts');
    await coll.insertMany([
      { g: 1, v: 1 },
      { g: 1, v: 2 },
      { g: 2, v: 1 },
    ]);
    const same = await coll.updateOne({ g: 2 }, { $set: { v: 1 } });
    assert.equal(same.matchedCount, 1);
    assert.equal(same.modifiedCount, 0);
    const many = await coll.updateMany({ g: 1 }, { $set: { v: 2 } });
    assert.equal(many.matchedCount, 2);
    assert.equal(many.modifiedCount, 1);
    const none = await coll.updateMany({ g: 9 }, { $set: { v: 0 } });
    assert.equal(none.matchedCount, 0);
  });

  test('an update modifies a document only when its stored bytes change', async () => {
    const coll = h.db.collection<AnyDoc>('bytes');
    const at = new Date('2024-05-01T10:00:00Z');
    await coll.insertOne({
      _id: 'b',
      i: 1,
      l: Long.fromNumber(5),
      d: at,
      sub: { a: 1, b: [1, 'x', null] },
      z: 0,
    });
    const modified = async (update: AnyDoc): Promise<number> =>
      (await coll.updateOne({ _id: 'b' }, update)).modifiedCount;
    assert.equal(await modified({ $set: { i: 1, d: new Date(at.getTime()) } }), 0);
    assert.equal(await modified({ $set: { l: Long.fromNumber(5) } }), 0);
    assert.equal(await modified({ $set: { sub: { a: 1, b: [1, 'x', null] } } }), 0);
    // Equal values of another type, or fields in another order, are other bytes.
    assert.equal(await modified({ $set: { i: new Double(1) } }), 1);
    assert.equal(await modified({ $set: { sub: { b: [1, 'x', null], a: 1 } } }), 1);
    assert.equal(await modified({ $set: { z: -0 } }), 1);
    assert.equal(await modified({ $set: { l: 5 } }), 1);
  });

  test('replacement keeps _id and replaces every other field', async () => {
    const coll = h.db.collection<AnyDoc>('repl');
    await coll.insertOne({ _id: 'r', a: 1, b: 2 });
    const res = await coll.replaceOne({ _id: 'r' }, { c: 3 });
    assert.equal(res.modifiedCount, 1);
    assert.deepEqual(await coll.findOne({ _id: 'r' }), { _id: 'r', c: 3 });
    await rejectsWithCode(() => coll.replaceOne({ _id: 'r' }, { _id: 'other', c: 4 }), 66);
  });

  test('upserts copy query equalities, apply $setOnInsert only on insert and report upserted ids', async () => {
    const coll = h.db.collection<AnyDoc>('ups');
    const first = await coll.updateOne(
      { tenant: 'acme', 'meta.kind': 'x', n: { $gt: 1 } },
      { $set: { seen: 1 }, $setOnInsert: { created: true } },
      { upsert: true },
    );
    assert.equal(first.upsertedCount, 1);
    assert.ok(first.upsertedId instanceof ObjectId);
    const doc = await coll.findOne({ _id: first.upsertedId } as AnyDoc);
    assert.deepEqual(
      { ...doc, _id: undefined },
      { _id: undefined, tenant: 'acme', meta: { kind: 'x' }, seen: 1, created: true },
    );

    const second = await coll.updateOne(
      { tenant: 'acme' },
      { $set: { seen: 2 }, $setOnInsert: { created: false } },
      { upsert: true },
    );
    assert.equal(second.upsertedCount, 0);
    assert.equal(second.matchedCount, 1);
    assert.equal((await coll.findOne({ tenant: 'acme' }))?.created, true);

    const withId = await coll.updateOne({ _id: 'given' }, { $inc: { c: 1 } }, { upsert: true });
    assert.equal(withId.upsertedId, 'given');

    const raw = await h.db.command({
      update: 'ups',
      updates: [
        { q: { k: 1 }, u: { $set: { v: 1 } }, upsert: true },
        { q: { k: 1 }, u: { $set: { v: 2 } }, upsert: true },
        { q: { k: 2 }, u: { v: 3 }, upsert: true },
      ],
    });
    assert.equal(raw.n, 3);
    assert.equal(raw.nModified, 1);
    assert.deepEqual(
      raw.upserted.map((u: { index: number }) => u.index),
      [0, 2],
    );
    // A replacement upsert inserts the replacement only: query fields are not copied.
    assert.deepEqual(await coll.findOne({ v: 3 }, { projection: { _id: 0 } }), { v: 3 });
  });
});
