// A replayed ingest job (its worker died after storing the message, or the same
// mail came twice) must converge: the case's unread count and workflow move are
// recorded once, and a duplicate's raw source does not linger in GridFS.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { ingestEmail, UNSETTLED_GRACE_MS } from '../../../src/inbound/ingest/ingest-email.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import type { JobPayload } from '../../../src/queues/catalog.ts';
import type { MessageRecord } from '../../../src/store/index.ts';
import {
  accountConfig,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';

const drop = mkdtempSync(join(tmpdir(), 'postroom-replay-drop-'));
const outbox = mkdtempSync(join(tmpdir(), 'postroom-replay-outbox-'));
let runtime: TestRuntime;
let db: mongoose.Connection;
let nextUid = 1;

before(async () => {
  runtime = await startTestRuntime(
    accountConfig([
      {
        id: 'support',
        address: 'support@acme.test',
        drop_folder: drop,
        outbox_folder: outbox,
        agents: [],
      },
    ]),
    { roles: 'api,ingest' },
  );
  db = await mongoose.createConnection(runtime.mongoUri).asPromise();
});
after(async () => {
  await db?.close();
  await runtime?.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
  rmSync(drop, { recursive: true, force: true });
  rmSync(outbox, { recursive: true, force: true });
});

function mail(id: string, headers = ''): string {
  return (
    `From: Ada <ada@example.com>\r\nTo: support@acme.test\r\nSubject: Broken widget\r\n` +
    `Message-ID: <${id}>\r\n${headers}Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n` +
    `The widget broke again.\r\n`
  );
}

function imapJob(raw: JobPayload<'mail.ingest'>['raw']): JobPayload<'mail.ingest'> {
  return {
    account_id: 'acme',
    mailbox_id: 'support',
    source: { kind: 'imap', uidvalidity: '7', uid: nextUid++ },
    raw,
  };
}

function inline(source: string): JobPayload<'mail.ingest'>['raw'] {
  return { kind: 'inline', base64: Buffer.from(source).toString('base64') };
}

async function ingestAndWait(payload: JobPayload<'mail.ingest'>): Promise<void> {
  const queue = runtime.context.queues.queue('mail.ingest');
  const jobId = await runtime.context.queues.enqueue('mail.ingest', payload);
  await waitUntil(async () => (await queue.getJobState(jobId)) === 'completed', {
    what: `ingest job ${jobId} completed`,
  });
}

async function stored(messageId: string): Promise<MessageRecord> {
  const message = await runtime.context.store.messages.findByEmailMessageId(
    'acme',
    'support',
    messageId,
  );
  assert.ok(message, `message ${messageId} stored`);
  return message;
}

async function conversationOf(message: MessageRecord) {
  const conversation = await runtime.context.store.conversations.get(
    'acme',
    message.conversation_id,
  );
  assert.ok(conversation);
  return conversation;
}

describe('a replayed ingest', () => {
  test('finishes what a job that died after storing the message left undone', async () => {
    await ingestAndWait(imapJob(inline(mail('first@example.com'))));
    const first = await stored('first@example.com');
    assert.equal(first.ingest_pending_since, null, 'settled once its effects are recorded');
    await db
      .collection('conversations')
      .updateOne(
        { _id: first.conversation_id as never },
        { $set: { workflow_status: 'resolved' } },
      );

    const reply = mail('reply@example.com', 'In-Reply-To: <first@example.com>\r\n');
    await ingestAndWait(imapJob(inline(reply)));
    const stillThere = await stored('reply@example.com');
    const settled = await conversationOf(stillThere);
    assert.equal(settled.workflow_status, 'open', 'the reply reopened the case');

    // The state a job leaves when it dies between storing the reply and recording its effects,
    // long enough ago for a replay to take them over.
    await db
      .collection('conversations')
      .updateOne(
        { _id: stillThere.conversation_id as never },
        { $set: { workflow_status: 'resolved' }, $inc: { unread: -1 } },
      );
    const died = new Date(Date.now() - UNSETTLED_GRACE_MS - 1_000);
    await db
      .collection('chat_messages')
      .updateOne({ _id: stillThere._id as never }, { $set: { ingest_pending_since: died } });

    await ingestAndWait(imapJob(inline(reply)));
    const replayed = await stored('reply@example.com');
    assert.equal(replayed._id, stillThere._id, 'still one stored copy');
    assert.equal(replayed.ingest_pending_since, null);
    const after = await conversationOf(replayed);
    assert.equal(after.workflow_status, 'open');
    assert.equal(after.unread, settled.unread, 'the unread count is back to what it was');

    // Settled now: one more copy changes nothing.
    await ingestAndWait(imapJob(inline(reply)));
    assert.equal((await conversationOf(replayed)).unread, settled.unread);
  });

  test('a copy of a message still settling is deferred, not counted twice', async () => {
    await ingestAndWait(imapJob(inline(mail('settling@example.com'))));
    const message = await stored('settling@example.com');
    const before = await conversationOf(message);
    const fresh = new Date();
    await db
      .collection('chat_messages')
      .updateOne({ _id: message._id as never }, { $set: { ingest_pending_since: fresh } });
    const deps = {
      store: runtime.context.store,
      logger: createLogger('silent'),
      maxMailBytes: runtime.context.env.POSTROOM_MAX_MAIL_BYTES,
    };
    const payload = imapJob(inline(mail('settling@example.com')));

    const deferred = await ingestEmail({ ...deps, deferUnsettled: true }, payload);
    assert.equal(deferred.kind, 'deferred');
    const reported = await ingestEmail(deps, payload);
    assert.equal(reported.kind, 'duplicate');
    assert.equal((await conversationOf(message)).unread, before.unread, 'nothing recorded twice');
    assert.deepEqual((await stored('settling@example.com')).ingest_pending_since, fresh);
  });

  test("a large duplicate's raw source is removed; the stored message keeps its own", async () => {
    const source = mail('large@example.com');
    const put = () =>
      runtime.context.store.files.put('large.eml', Buffer.from(source), {
        account_id: 'acme',
        purpose: 'raw_source',
        content_type: 'message/rfc822',
        mailbox_id: 'support',
      });
    const original = await put();
    const originalJob = imapJob({ kind: 'gridfs', file_id: original.id, size: source.length });
    await ingestAndWait(originalJob);
    assert.equal((await stored('large@example.com')).raw_source_id, original.id);

    const copy = await put();
    await ingestAndWait(imapJob({ kind: 'gridfs', file_id: copy.id, size: source.length }));
    assert.equal(await runtime.context.store.files.info('acme', copy.id), null);

    // A replay of the original job (same GridFS source) keeps the file the message points at.
    const outcome = await ingestEmail(
      {
        store: runtime.context.store,
        logger: createLogger('silent'),
        maxMailBytes: runtime.context.env.POSTROOM_MAX_MAIL_BYTES,
      },
      originalJob,
    );
    assert.equal(outcome.kind, 'duplicate');
    assert.ok(await runtime.context.store.files.info('acme', original.id));
  });
});
