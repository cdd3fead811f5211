// The data directory has one owner at a time, and a write acknowledged by it
// survives the owner being killed with -9 at any moment.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { DataDirLockedError, startEmbeddedMongo } from '../../../src/embedded-mongo/index.ts';
import { waitUntil } from '../../support/wait.ts';
import { startStoreChild, tempDataDir } from './helpers.ts';

describe('one owner per data directory', () => {
  const data = tempDataDir('lock');
  after(() => data.remove());

  test('a second open in the same process is refused, and allowed once the first stops', async () => {
    const first = await startEmbeddedMongo({ dataDir: data.dir });
    try {
      await assert.rejects(startEmbeddedMongo({ dataDir: data.dir }), (error: unknown) => {
        assert.ok(error instanceof DataDirLockedError, String(error));
        assert.equal(error.dataDir, first.info().dataDir);
        return true;
      });
    } finally {
      await first.stop();
    }
    const second = await startEmbeddedMongo({ dataDir: data.dir });
    await second.stop();
  });

  test('another process holding the directory refuses us until it is killed with -9', async () => {
    const holder = await startStoreChild(data.dir, 'hold');
    try {
      await assert.rejects(
        startEmbeddedMongo({ dataDir: data.dir }),
        (error: unknown) => error instanceof DataDirLockedError,
      );
    } finally {
      await holder.kill9();
    }
    // The SQLite lock died with its process: nothing to clean up first.
    const taken = await startEmbeddedMongo({ dataDir: data.dir });
    await taken.stop();
  });
});

describe('kill -9 of the host during writes', () => {
  const data = tempDataDir('crash');
  after(() => data.remove());

  test('loses no acknowledged write, three kills in a row', async () => {
    const acknowledged = new Set<number>();
    for (let round = 0; round < 3; round++) {
      const writer = await startStoreChild(data.dir, 'write');
      const acks = (): number[] =>
        writer.lines.filter((line) => line.startsWith('ack ')).map((line) => Number(line.slice(4)));
      // Kill at a point chosen by how far the writer got, not by time.
      await waitUntil(() => acks().length >= 300 + round * 50, {
        what: 'the writer to have 300 acknowledged inserts',
      });
      await writer.kill9();
      for (const id of acks()) acknowledged.add(id);
    }
    const mongo = await startEmbeddedMongo({ dataDir: data.dir });
    const client = await MongoClient.connect(`${mongo.uri}crash`);
    try {
      const stored = new Set(
        (await client.db().collection<{ _id: number }>('acked').find().toArray()).map(
          (doc) => doc._id,
        ),
      );
      const lost = [...acknowledged].filter((id) => !stored.has(id));
      assert.deepEqual(lost, [], 'acknowledged inserts missing after the kills');
      assert.ok(acknowledged.size >= 900);
      const counter = await client
        .db()
        .collection<{ _id: string; n: number }>('counters')
        .findOne({ _id: 'writes' });
      // Each acknowledged command was followed by a counter update that may or may not have landed.
      assert.ok(counter && counter.n >= 1);
    } finally {
      await client.close();
      await mongo.stop();
    }
  });
});
