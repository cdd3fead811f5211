// A durable store leaves large unindexed fields (message bodies) on disk and
// keeps only a skeleton of the document in memory, yet every query answers as
// if the whole document were there: filters, sorts, distinct, projections and
// updates on those fields, across restarts, and after an index starts reading one.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../../src/embedded-mongo/index.ts';
import { tempDataDir } from './helpers.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function retainedBytes(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const MESSAGES = 200;
const BODY_CHARS = 100 * 1024;

/** A body of its own per message, so nothing is shared between documents. */
function bodyOf(i: number): string {
  const word = `w${i.toString(36)} `;
  return `Hello from customer ${i}. ${word.repeat(Math.ceil(BODY_CHARS / word.length))}`.slice(
    0,
    BODY_CHARS,
  );
}

/** Messages keyed by string ids, as Postroom's are. */
type Message = Document & { _id: string };

async function withMessages<T>(
  mongo: EmbeddedMongo,
  use: (messages: Collection<Message>) => Promise<T>,
): Promise<T> {
  const client = await MongoClient.connect(`${mongo.uri}lazy`);
  try {
    return await use(client.db().collection<Message>('messages'));
  } finally {
    await client.close();
  }
}

/** Inserts the messages; returns how many bytes the process holds more afterwards. */
async function insertMessages(mongo: EmbeddedMongo): Promise<number> {
  return withMessages(mongo, async (messages) => {
    await messages.createIndex({ conversation_id: 1, sequence: 1 });
    const before = retainedBytes();
    for (let start = 0; start < MESSAGES; start += 20) {
      await messages.insertMany(
        Array.from({ length: 20 }, (_, k) => {
          const i = start + k;
          return {
            _id: `msg_${String(i).padStart(4, '0')}`,
            conversation_id: `conv_${i % 10}`,
            sequence: i,
            status: i % 2 === 0 ? 'sent' : 'draft',
            body: bodyOf(i),
            html: `<p>${bodyOf(i)}</p>`,
          };
        }),
      );
    }
    return retainedBytes() - before;
  });
}

describe('large fields of a durable store stay on disk', () => {
  const data = tempDataDir('lazy');
  after(() => data.remove());
  const bodiesBytes = MESSAGES * BODY_CHARS * 2;

  test('message bodies are not held in memory, while the in-memory store holds them', async () => {
    const memory = await startEmbeddedMongo();
    const held = await insertMessages(memory).finally(() => memory.stop());
    assert.ok(held > bodiesBytes * 0.9, `in memory the bodies are held (${held} bytes)`);

    const disk = await startEmbeddedMongo({ dataDir: data.dir });
    try {
      const growth = await insertMessages(disk);
      assert.ok(
        growth < bodiesBytes * 0.25,
        `a durable store holds ${growth} bytes more after storing ${bodiesBytes} bytes of bodies`,
      );
    } finally {
      await disk.stop();
    }
  });

  /** The queries whose answers depend on the bodies; run before and after a restart. */
  async function checkQueries(messages: Collection<Message>): Promise<void> {
    const found = await messages.find({ body: /^Hello from customer 17\./ }).toArray();
    assert.deepEqual(
      found.map((m) => m._id),
      ['msg_0017'],
    );
    assert.equal(found[0]?.body, bodyOf(17), 'the whole body comes back');
    assert.equal(await messages.countDocuments({ html: { $regex: 'customer 3\\.' } }), 1);
    // A filter on skeleton fields only, with the bodies in the reply.
    const conversation = await messages
      .find({ conversation_id: 'conv_3', sequence: { $gte: 100 } })
      .sort({ sequence: -1 })
      .toArray();
    assert.deepEqual(
      conversation.map((m) => m.sequence),
      [193, 183, 173, 163, 153, 143, 133, 123, 113, 103],
    );
    assert.equal(conversation[0]?.html, `<p>${bodyOf(193)}</p>`);
    // Sorting by a body compares the bodies ("Hello from customer 1." < "... 10").
    const byBody = await messages
      .find({ conversation_id: 'conv_1' }, { projection: { _id: 1 } })
      .sort({ body: 1 })
      .limit(3)
      .toArray();
    assert.deepEqual(
      byBody.map((m) => m._id),
      ['msg_0001', 'msg_0101', 'msg_0011'],
    );
    const projected = await messages.findOne(
      { _id: 'msg_0005' },
      { projection: { body: { $substrCP: ['$body', 0, 21] } } },
    );
    assert.deepEqual(projected, { _id: 'msg_0005', body: 'Hello from customer 5' });
    const distinct = await messages.distinct('body', { _id: { $in: ['msg_0002', 'msg_0004'] } });
    assert.deepEqual(distinct.sort(), [bodyOf(2), bodyOf(4)].sort());
    const grouped = await messages
      .aggregate([
        { $match: { conversation_id: 'conv_0' } },
        { $group: { _id: null, chars: { $sum: { $strLenCP: '$body' } } } },
      ])
      .toArray();
    assert.equal(grouped[0]?.chars, 20 * BODY_CHARS);
  }

  test('filters, sorts, projections, distinct and aggregations read the bodies', async () => {
    const mongo = await startEmbeddedMongo({ dataDir: data.dir });
    try {
      await withMessages(mongo, checkQueries);
    } finally {
      await mongo.stop();
    }
  });

  test('updates of a body and of a skeleton field survive a restart', async () => {
    let mongo = await startEmbeddedMongo({ dataDir: data.dir });
    try {
      await withMessages(mongo, async (messages) => {
        await messages.updateOne({ _id: 'msg_0042' }, { $set: { body: 'Redacted.' } });
        await messages.updateOne({ _id: 'msg_0043' }, { $set: { status: 'sent' } });
        const pushed = await messages.findOneAndUpdate(
          { body: /^Hello from customer 44\./ },
          { $set: { body: `${bodyOf(44)} PS` } },
          { returnDocument: 'after' },
        );
        assert.equal(pushed?.body, `${bodyOf(44)} PS`);
      });
      await mongo.stop();
      mongo = await startEmbeddedMongo({ dataDir: data.dir });
      await withMessages(mongo, async (messages) => {
        assert.equal((await messages.findOne({ _id: 'msg_0042' }))?.body, 'Redacted.');
        const untouched = await messages.findOne({ _id: 'msg_0043' });
        assert.equal(untouched?.status, 'sent');
        assert.equal(
          untouched?.body,
          bodyOf(43),
          'a skeleton update keeps the body on disk intact',
        );
        assert.equal(await messages.countDocuments({ body: 'Redacted.' }), 1);
        assert.equal(await messages.countDocuments({ body: /PS$/ }), 1);
      });
      await withMessages(mongo, async (messages) => {
        await messages.updateOne({ _id: 'msg_0042' }, { $set: { body: bodyOf(42) } });
        await messages.updateOne({ _id: 'msg_0044' }, { $set: { body: bodyOf(44) } });
        await messages.updateOne({ _id: 'msg_0043' }, { $set: { status: 'draft' } });
        await checkQueries(messages);
      });
    } finally {
      await mongo.stop();
    }
  });

  test('an index on a field left on disk reads every document, before and after a restart', async () => {
    let mongo = await startEmbeddedMongo({ dataDir: data.dir });
    try {
      await withMessages(mongo, async (messages) => {
        await messages.insertOne({
          _id: 'msg_dupe',
          conversation_id: 'conv_x',
          sequence: 1000,
          status: 'sent',
          body: 'short',
          html: `<p>${bodyOf(0)}</p>`,
        });
        await assert.rejects(
          messages.createIndex(
            { html: 1 },
            { unique: true, partialFilterExpression: { status: 'sent' } },
          ),
          /E11000/,
          'the index build sees the html of msg_0000, kept on disk until now',
        );
        await messages.deleteOne({ _id: 'msg_dupe' });
        await messages.createIndex(
          { html: 1 },
          { unique: true, partialFilterExpression: { status: 'sent' } },
        );
        await assert.rejects(
          messages.insertOne({ _id: 'msg_dupe2', status: 'sent', html: `<p>${bodyOf(2)}</p>` }),
          /E11000/,
        );
      });
      await mongo.stop();
      mongo = await startEmbeddedMongo({ dataDir: data.dir });
      await withMessages(mongo, async (messages) => {
        await assert.rejects(
          messages.insertOne({ _id: 'msg_dupe3', status: 'sent', html: `<p>${bodyOf(4)}</p>` }),
          /E11000/,
          'after a restart the index still holds every html',
        );
        await checkQueries(messages);
      });
    } finally {
      await mongo.stop();
    }
  });
});
