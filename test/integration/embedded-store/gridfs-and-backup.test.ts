// GridFS chunk bodies of a durable store live on disk, not in the heap; and a
// backup taken while writes run is a consistent store that a restore brings back.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GridFSBucket, MongoClient, type Db } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../../src/embedded-mongo/index.ts';
import { tempDataDir } from './helpers.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** What the process holds in JS objects and in buffers, after a full collection. */
function retainedBytes(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const FILE_BYTES = 20 * 1024 * 1024;

/** FILE_BYTES of varied bytes, generated piece by piece so the test itself holds none of them. */
function fileContent(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= FILE_BYTES) return void this.push(null);
      const piece = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < piece.length; i += 4)
        piece.writeUInt32LE(((sent + i) * 2654435761) >>> 0, i);
      sent += piece.length;
      this.push(piece);
    },
  });
}

async function sha256(stream: AsyncIterable<Buffer>): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of stream) hash.update(piece);
  return hash.digest('hex');
}

/** Uploads and downloads the file; returns how many bytes the process still holds afterwards. */
async function roundTrip(mongo: EmbeddedMongo): Promise<{ growth: number; same: boolean }> {
  const client = await MongoClient.connect(`${mongo.uri}gridfs`);
  try {
    const bucket = new GridFSBucket(client.db());
    const expected = await sha256(fileContent());
    const before = retainedBytes();
    const upload = bucket.openUploadStream('big.bin');
    await pipeline(fileContent(), upload);
    const downloaded = await sha256(bucket.openDownloadStream(upload.id));
    const growth = retainedBytes() - before;
    return { growth, same: downloaded === expected };
  } finally {
    await client.close();
  }
}

describe('GridFS on a durable store', () => {
  const data = tempDataDir('gridfs');
  after(() => data.remove());

  test('a 20 MiB file round-trips, and its chunks are not held in memory', async () => {
    // The control: the in-memory store must hold the file, or the measure proves nothing.
    const memory = await startEmbeddedMongo();
    const held = await roundTrip(memory).finally(() => memory.stop());
    assert.ok(held.same);
    assert.ok(held.growth > FILE_BYTES * 0.9, `in memory the file is held (${held.growth} bytes)`);

    const disk = await startEmbeddedMongo({ dataDir: data.dir });
    try {
      const result = await roundTrip(disk);
      assert.ok(result.same, 'the downloaded file differs from the uploaded one');
      assert.ok(
        // A few MiB stay in the driver's and sockets' reused buffers whatever the file size.
        result.growth < FILE_BYTES * 0.4,
        `a durable store holds ${result.growth} bytes more after storing a ${FILE_BYTES}-byte file`,
      );
    } finally {
      await disk.stop();
    }
  });

  test('after a restart the file downloads again, and chunk queries still answer', async () => {
    const mongo = await startEmbeddedMongo({ dataDir: data.dir });
    const client = await MongoClient.connect(`${mongo.uri}gridfs`);
    try {
      const db = client.db();
      const bucket = new GridFSBucket(db);
      const file = await db.collection('fs.files').findOne({ filename: 'big.bin' });
      assert.ok(file);
      assert.equal(await sha256(bucket.openDownloadStream(file._id)), await sha256(fileContent()));
      const chunks = db.collection('fs.chunks');
      const expectedChunks = Math.ceil(FILE_BYTES / (255 * 1024));
      assert.equal(await chunks.countDocuments({ files_id: file._id }), expectedChunks);
      // An aggregation reads the chunk bodies back from disk.
      const firstChunk = await chunks
        .aggregate<{ data: { length(): number } }>([
          { $match: { files_id: file._id, n: 0 } },
          { $project: { _id: 0, data: 1 } },
        ])
        .toArray();
      assert.equal(firstChunk[0]?.data.length(), 255 * 1024);
      const indexes = await chunks.listIndexes().toArray();
      assert.ok(indexes.some((index) => index.name === 'files_id_1_n_1' && index.unique === true));
      await bucket.delete(file._id);
      assert.equal(await chunks.countDocuments(), 0);
    } finally {
      await client.close();
      await mongo.stop();
    }
  });
});

interface Pair {
  _id: number;
  half: 'a' | 'b';
}

/** A store is consistent when every batch of two landed whole, and they form an unbroken prefix. */
async function assertConsistent(db: Db): Promise<number> {
  const ids = (await db.collection<Pair>('pairs').find().sort({ _id: 1 }).toArray()).map(
    (doc) => doc._id,
  );
  assert.equal(ids.length % 2, 0, 'a two-document insert was copied in half');
  ids.forEach((id, at) => assert.equal(id, at, 'the copy has a hole'));
  return ids.length / 2;
}

describe('backup and restore of a running durable store', () => {
  const data = tempDataDir('backup');
  const copies = tempDataDir('backup-copies');
  after(() => {
    data.remove();
    copies.remove();
  });

  test('copies taken during writes (handle and command) are consistent, and a restore brings one back', async () => {
    const mongo = await startEmbeddedMongo({ dataDir: data.dir });
    const client = await MongoClient.connect(`${mongo.uri}backup`);
    let batches = 0;
    let writing = true;
    const writer = (async () => {
      const pairs = client.db().collection<Pair>('pairs');
      while (writing) {
        await pairs.insertMany([
          { _id: batches * 2, half: 'a' },
          { _id: batches * 2 + 1, half: 'b' },
        ]);
        batches++;
      }
    })();
    let viaHandle: string;
    let viaCommand: unknown;
    try {
      await waitForBatches(() => batches, 50);
      viaHandle = await mongo.backup(join(copies.dir, 'handle'));
      await waitForBatches(() => batches, batches + 50);
      // Another process would send this through its own connection.
      const other = await MongoClient.connect(mongo.uri);
      try {
        const reply = await other
          .db('admin')
          .command({ postroomBackup: 1, to: join(copies.dir, 'command') });
        viaCommand = reply.file;
        await assert.rejects(
          other.db('admin').command({ postroomBackup: 1, to: join(copies.dir, 'command') }),
          /already exists/,
        );
      } finally {
        await other.close();
      }
    } finally {
      writing = false;
      await writer;
    }
    const total = batches;
    await client.close();
    await mongo.stop();
    assert.equal(viaCommand, join(copies.dir, 'command', 'store.sqlite'));

    let restoredBatches = 0;
    for (const copy of ['handle', 'command']) {
      const opened = await startEmbeddedMongo({ dataDir: join(copies.dir, copy) });
      const reader = await MongoClient.connect(`${opened.uri}backup`);
      try {
        const count = await assertConsistent(reader.db());
        assert.ok(count >= 50 && count <= total, `${copy} copy holds ${count} of ${total} batches`);
        if (copy === 'handle') restoredBatches = count;
      } finally {
        await reader.close();
        await opened.stop();
      }
    }

    // Restore: with the store stopped, the data directory's file is replaced by the backup.
    rmSync(join(data.dir, 'store.sqlite'));
    copyFileSync(viaHandle, join(data.dir, 'store.sqlite'));
    const restored = await startEmbeddedMongo({ dataDir: data.dir });
    const reader = await MongoClient.connect(`${restored.uri}backup`);
    try {
      assert.equal(await assertConsistent(reader.db()), restoredBatches);
      // The restored store takes writes again.
      await reader
        .db()
        .collection<Pair>('pairs')
        .insertOne({ _id: restoredBatches * 2, half: 'a' });
    } finally {
      await reader.close();
      await restored.stop();
    }
  });
});

async function waitForBatches(current: () => number, atLeast: number): Promise<void> {
  while (current() < atLeast) await new Promise((resolve) => setImmediate(resolve));
}
