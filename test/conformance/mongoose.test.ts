import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mongoose, { Schema, type Connection } from 'mongoose';
import { testMongoUri, uniqueName } from '../support/env.ts';

describe('mongoose on top of the store', () => {
  let conn: Connection;
  before(async () => {
    conn = await mongoose.createConnection(testMongoUri(uniqueName('mgs'))).asPromise();
  });
  after(async () => {
    await conn.dropDatabase();
    await conn.close();
  });

  test('models: create, unique index, query helpers, populate, lean, optimistic versions', async () => {
    const Account = conn.model(
      'Account',
      new Schema(
        { name: { type: String, required: true }, slug: { type: String, unique: true } },
        { timestamps: true },
      ),
    );
    const Ticket = conn.model(
      'Ticket',
      new Schema({
        account: { type: Schema.Types.ObjectId, ref: 'Account' },
        number: Number,
        tags: [String],
        events: [{ kind: String, at: Date }],
      }),
    );
    await Account.init();
    await Ticket.init();

    const acme = await Account.create({ name: 'Acme', slug: 'acme' });
    assert.ok(acme.createdAt instanceof Date);
    await assert.rejects(
      Account.create({ name: 'Other', slug: 'acme' }),
      (e: { code?: number }) => e.code === 11000,
    );

    await Ticket.insertMany(
      Array.from({ length: 12 }, (_, i) => ({
        account: acme._id,
        number: i,
        tags: i % 2 ? ['odd'] : [],
      })),
    );
    assert.equal(await Ticket.countDocuments({ tags: 'odd' }), 6);
    const top = await Ticket.find({ account: acme._id }).sort({ number: -1 }).limit(3).lean();
    assert.deepEqual(
      top.map((t) => t.number),
      [11, 10, 9],
    );

    const populated = await Ticket.findOne({ number: 3 }).populate<{ account: { name: string } }>(
      'account',
    );
    assert.equal(populated?.account.name, 'Acme');

    const bumped = await Ticket.findOneAndUpdate(
      { number: 3 },
      { $push: { events: { kind: 'opened', at: new Date() } }, $addToSet: { tags: 'seen' } },
      { new: true },
    );
    assert.equal(bumped?.events.length, 1);
    assert.deepEqual([...(bumped?.tags ?? [])], ['odd', 'seen']);

    const doc = await Ticket.findOne({ number: 4 });
    assert.ok(doc);
    doc.tags.push('x');
    await doc.save();
    assert.deepEqual((await Ticket.findById(doc._id).lean())?.tags, ['x']);

    await Ticket.deleteMany({ number: { $lt: 6 } });
    assert.equal(await Ticket.estimatedDocumentCount(), 6);
    const grouped = await Ticket.aggregate<{ _id: null; total: number }>([
      { $group: { _id: null, total: { $sum: '$number' } } },
    ]);
    assert.equal(grouped[0]?.total, 6 + 7 + 8 + 9 + 10 + 11);
  });
});
