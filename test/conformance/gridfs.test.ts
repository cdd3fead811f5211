import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket } from 'mongodb';
import { openHarness, type Harness } from './harness.ts';

describe('GridFS through the driver', () => {
  let h: Harness;
  before(async () => {
    h = await openHarness('gridfs');
  });
  after(async () => {
    await h.close();
  });

  test('a 20 MB file uploads, downloads byte-identical, is found and deleted', async () => {
    const bucket = new GridFSBucket(h.db, { bucketName: 'attachments' });
    const content = randomBytes(20 * 1024 * 1024);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

    const upload = bucket.openUploadStream('big.bin', { metadata: { account_id: 'acme' } });
    await pipeline(
      Readable.from([content.subarray(0, 7_000_000), content.subarray(7_000_000)]),
      upload,
    );
    const id = upload.id;

    const files = await bucket.find({ filename: 'big.bin' }).toArray();
    assert.equal(files.length, 1);
    assert.equal(files[0]?.length, content.length);
    assert.equal(files[0]?.chunkSize, 255 * 1024);
    assert.deepEqual(files[0]?.metadata, { account_id: 'acme' });
    const chunkCount = await h.db.collection('attachments.chunks').countDocuments({ files_id: id });
    assert.equal(chunkCount, Math.ceil(content.length / (255 * 1024)));

    const parts: Buffer[] = [];
    for await (const part of bucket.openDownloadStream(id)) parts.push(part as Buffer);
    assert.equal(sha(Buffer.concat(parts)), sha(content));

    const ranged: Buffer[] = [];
    for await (const part of bucket.openDownloadStream(id, { start: 300_000, end: 300_100 }))
      ranged.push(part as Buffer);
    assert.deepEqual(Buffer.concat(ranged), content.subarray(300_000, 300_100));

    await bucket.delete(id);
    assert.equal((await bucket.find({ _id: id }).toArray()).length, 0);
    assert.equal(await h.db.collection('attachments.chunks').countDocuments({ files_id: id }), 0);
  });
});
