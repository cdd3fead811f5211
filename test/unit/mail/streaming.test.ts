// Attachments are streamed to the sink, never buffered whole; parser
// failures become parse_error; sink failures propagate.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { parseEmail } from '../../../src/mail/parse/index.ts';
import type {
  AttachmentMeta,
  AttachmentSink,
  StoredAttachment,
} from '../../../src/mail/parse/index.ts';
import { countingSink } from './support/sinks.ts';

const MB = 1024 * 1024;

function base64Lines(content: Buffer): string {
  return (content.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

function messageWithAttachment(content: Buffer, extraPart = ''): Buffer {
  return Buffer.from(
    [
      'From: jane@example.com',
      'To: support@acme.test',
      'Subject: Big file',
      'Message-ID: <big@example.com>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The log is attached.',
      '--b1',
      'Content-Type: application/octet-stream; name="dump.bin"',
      'Content-Disposition: attachment; filename="dump.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(content),
      extraPart,
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

function memory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe('attachment streaming', () => {
  test('a 5 MB attachment reaches the sink as a stream, with backpressure and modest memory', async () => {
    const content = randomBytes(5 * MB);
    const raw = messageWithAttachment(content);
    let chunks = 0;
    let bytes = 0;
    let bufferedWhilePaused = -1;
    let peak = 0;
    const sink: AttachmentSink = {
      async store(meta: AttachmentMeta, stream: Readable): Promise<StoredAttachment> {
        assert.equal(typeof stream.pipe, 'function');
        // Read one chunk, then stop reading for a while: a streaming producer
        // holds back (a highWaterMark's worth at most); a buffering one would
        // have the whole file waiting here.
        const iterator = stream[Symbol.asyncIterator]();
        const first = await iterator.next();
        bytes += (first.value as Buffer).length;
        chunks++;
        await sleep(100);
        bufferedWhilePaused = stream.readableLength;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          bytes += (next.value as Buffer).length;
          chunks++;
          if (chunks % 16 === 0) peak = Math.max(peak, memory());
        }
        return { id: meta.filename, size_bytes: bytes };
      },
    };

    const before = memory();
    const email = await parseEmail(raw, sink);
    const growth = peak - before;
    console.log(
      `5 MB attachment: ${chunks} chunks, ${(bufferedWhilePaused / 1024).toFixed(0)} KiB buffered while paused, peak memory growth ${(growth / MB).toFixed(1)} MiB`,
    );

    assert.equal(bytes, content.length);
    assert.ok(chunks > 10, `content came in ${chunks} chunks`);
    assert.ok(bufferedWhilePaused >= 0 && bufferedWhilePaused < 1 * MB, 'the producer held back');
    // Loose on purpose (GC timing): buffering the file as a Buffer plus its
    // base64 string would add well over 10 MB on top of the raw message.
    assert.ok(growth < 32 * MB, `memory grew by ${(growth / MB).toFixed(1)} MiB`);
    assert.equal(email.attachments.length, 1);
    assert.equal(email.attachments[0]?.size_bytes, content.length);
    assert.equal(email.attachments[0]?.filename, 'dump.bin');
    assert.match(email.attachments[0]?.checksum ?? '', /^[0-9a-f]{64}$/);
    assert.equal(email.text.trim(), 'The log is attached.');
  });

  test('a sink failure propagates as the thrown error', async () => {
    const failure = new Error('GridFS unavailable');
    const sink: AttachmentSink = {
      async store(): Promise<StoredAttachment> {
        throw failure;
      },
    };
    await assert.rejects(parseEmail(messageWithAttachment(randomBytes(64 * 1024)), sink), failure);
  });

  test('a sink failure halfway through the content propagates too', async () => {
    const sink: AttachmentSink = {
      async store(_meta: AttachmentMeta, stream: Readable): Promise<StoredAttachment> {
        for await (const _chunk of stream) throw new Error('disk full');
        return { id: 'never', size_bytes: 0 };
      },
    };
    await assert.rejects(parseEmail(messageWithAttachment(randomBytes(MB)), sink), /disk full/);
  });

  test('a sink that resolves without reading does not stall the parse', async () => {
    const sink: AttachmentSink = {
      async store(meta: AttachmentMeta): Promise<StoredAttachment> {
        return { id: `lazy-${meta.index}`, size_bytes: 0 };
      },
    };
    const email = await parseEmail(messageWithAttachment(randomBytes(MB)), sink);
    assert.equal(email.attachments[0]?.id, 'lazy-1');
    assert.equal(email.text.trim(), 'The log is attached.');
  });

  test('a header block over maxHeaderBytes: parse_error, with the headers read so far', async () => {
    const raw = Buffer.from(
      `From: jane@example.com\r\nSubject: Huge\r\nX-Padding: ${'x'.repeat(4000)}\r\n\r\nbody\r\n`,
    );
    const email = await parseEmail(raw, countingSink(), { maxHeaderBytes: 1024 });
    assert.match(email.parse_error ?? '', /header block larger than 1024 bytes/);
    assert.equal(email.subject, 'Huge');
    assert.equal(email.from?.address, 'jane@example.com');
  });

  test('a part the parser refuses mid-message: parse_error, earlier attachments kept', async () => {
    const hugePartHeader = `\r\n--b1\r\nContent-Type: text/plain\r\nX-Padding: ${'y'.repeat(4000)}\r\n\r\nlate part`;
    const content = randomBytes(256 * 1024);
    const raw = messageWithAttachment(content, hugePartHeader);
    const sink = countingSink();
    const email = await parseEmail(raw, sink, { maxHeaderBytes: 2048 });
    assert.notEqual(email.parse_error, null);
    assert.equal(email.subject, 'Big file');
    assert.equal(email.attachments.length, 1);
    assert.equal(sink.stored.length, 1);
  });
});
