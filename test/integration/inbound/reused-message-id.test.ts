// A Message-ID reused by a different mail through the real runtime: the
// second mail is stored as a message of its own (flagged, keeping the header's
// id), a true re-delivery is still a duplicate, replies thread to the earliest
// stored, and concurrent ingests of both end right. Fixtures: test/fixtures/mail.
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { ingestEmail } from '../../../src/inbound/ingest/ingest-email.ts';
import {
  legacySyntheticMessageId,
  parseEmail,
  type AttachmentSink,
} from '../../../src/mail/parse/index.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import type { JobPayload } from '../../../src/queues/catalog.ts';
import { buildMail, newMessageId } from '../../support/mail-builder.ts';
import {
  accountConfig,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, checked by the assertions
}

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'mail');
const REUSED = '4C4ECFBF-reused-0001@example.de';
const drop = mkdtempSync(join(tmpdir(), 'postroom-reused-drop-'));
const outbox = mkdtempSync(join(tmpdir(), 'postroom-reused-outbox-'));
let runtime: TestRuntime;
let db: mongoose.Connection;
let files = 0;
let uid = 1;

before(async () => {
  runtime = await startTestRuntime(
    accountConfig([
      { id: 'support', address: 'support@acme.test', drop_folder: drop, outbox_folder: outbox },
    ]),
    { roles: 'api,watcher,ingest' },
  );
  db = await mongoose.createConnection(runtime.mongoUri).asPromise();
});

after(async () => {
  await db?.close();
  await runtime?.stop();
  if (runtime) {
    await dropRedisPrefix(runtime.prefix);
    await dropDatabase(runtime.mongoUri);
  }
  for (const dir of [drop, outbox]) rmSync(dir, { recursive: true, force: true });
});

/** Drop a fixture (or raw text); resolves once its ingest job is over (processed/). */
async function dropFile(source: { fixture: string } | { raw: string }): Promise<void> {
  files += 1;
  const name = `${files}.eml`;
  if ('fixture' in source) copyFileSync(join(fixtures, source.fixture), join(drop, name));
  else writeFileSync(join(drop, name), source.raw);
  const processed = join(drop, 'processed');
  await waitUntil(
    () => existsSync(processed) && readdirSync(processed).some((f) => f.endsWith(`-${name}`)),
    { what: `${name} ingested` },
  );
}

/** Every stored copy of a Message-ID, earliest first, as the API shows them. */
async function copiesOf(messageId: string): Promise<Json[]> {
  const stored = await runtime.context.store.messages.findCopies('acme', 'support', [messageId]);
  const shown: Json[] = [];
  for (const message of stored)
    shown.push(await runtime.json<Json>(`/v1/messaging/messages/${message._id}`));
  return shown;
}

function job(raw: string | Buffer): JobPayload<'mail.ingest'> {
  return {
    account_id: 'acme',
    mailbox_id: 'support',
    source: { kind: 'imap', uidvalidity: '1', uid: uid++ },
    raw: { kind: 'inline', base64: Buffer.from(raw).toString('base64') },
  };
}

describe('a reused Message-ID', () => {
  test('a different mail with a stored Message-ID is a message of its own, flagged', async () => {
    await dropFile({ fixture: 'reused-id-first.eml' });
    await dropFile({ fixture: 'reused-id-other.eml' });
    const [first, other] = await copiesOf(REUSED);
    assert.ok(first && other, 'both mails are stored');
    assert.equal(first.email.message_id, REUSED);
    assert.equal(first.email.message_id_reused, false);
    assert.equal(first.email.from.address, 'martin@example.de');
    assert.equal(other.email.message_id, REUSED, 'the header value is kept');
    assert.equal(other.email.message_id_reused, true);
    assert.equal(other.email.from.address, 'john.smith@example.com');
    assert.equal(other.subject, 'Personaländerung');
    // Nothing threads it to the first: it opens a case of its own, with its own customer.
    assert.notEqual(other.conversation_id, first.conversation_id);
    const theirs = await runtime.context.store.conversations.get('acme', other.conversation_id);
    assert.deepEqual(
      theirs?.participants.flatMap((p) => (p.customer ? [p.customer.address] : [])),
      ['john.smith@example.com'],
    );
  });

  test('a true re-delivery of either is still a duplicate', async () => {
    await dropFile({ fixture: 'reused-id-first-copy.eml' });
    await dropFile({ fixture: 'reused-id-other.eml' });
    await dropFile({ fixture: 'reused-id-first.eml' });
    assert.equal((await copiesOf(REUSED)).length, 2);
  });

  test('a reply to the reused id threads into the case of the earliest stored mail', async () => {
    const [first] = await copiesOf(REUSED);
    const replyId = newMessageId('reply-to-reused');
    await dropFile({
      raw: buildMail({
        from: 'Martin Edenhofer <martin@example.de>',
        messageId: replyId,
        inReplyTo: REUSED,
        references: [REUSED],
        subject: 'Re: Anfrage Einführung',
      }),
    });
    const reply = await runtime.context.store.messages.findByEmailMessageId(
      'acme',
      'support',
      replyId,
    );
    assert.equal(reply?.conversation_id, first?.conversation_id);
  });

  test('two different mails without a Message-ID, alike but for an attachment name, are both kept', async () => {
    const before = await db
      .collection('chat_messages')
      .countDocuments({ 'email.message_id': /@no-message-id\.invalid$/ });
    await dropFile({ fixture: 'no-id-scan-invoice.eml' });
    await dropFile({ fixture: 'no-id-scan-contract.eml' });
    await dropFile({ fixture: 'no-id-scan-invoice.eml' });
    const after = await db
      .collection('chat_messages')
      .countDocuments({ 'email.message_id': /@no-message-id\.invalid$/ });
    assert.equal(after - before, 2, 'both scans stored, the repeated one deduplicated');
  });

  test('a message stored under the synthetic id of earlier versions still dedupes its mail', async () => {
    const raw = readFileSync(join(fixtures, 'no-message-id.eml'));
    const discard: AttachmentSink = {
      async store(_meta, content) {
        for await (const _chunk of content) void _chunk;
        return { id: 'none', size_bytes: 0 };
      },
    };
    const legacyId = legacySyntheticMessageId(await parseEmail(raw, discard), raw);
    const { store } = runtime.context;
    const conversation = await store.conversations.create({
      account_id: 'acme',
      type: 'group',
      audience: 'customer',
      mailbox_id: 'support',
      email_thread: { root_message_id: legacyId, subject_normalized: null },
    });
    // As an earlier version stored it: no dedupe key, no content hash.
    await store.messages.appendSent({
      account_id: 'acme',
      conversation_id: conversation._id,
      kind: 'email',
      visibility: 'external',
      channel: 'email',
      mailbox_id: 'support',
      raw_source_id: 'legacy-raw',
      email: { message_id: legacyId },
    });
    const outcome = await ingestEmail(
      {
        store,
        logger: createLogger('silent'),
        maxMailBytes: runtime.context.env.POSTROOM_MAX_MAIL_BYTES,
      },
      job(raw),
    );
    assert.equal(outcome.kind, 'duplicate');
    assert.equal(outcome.message?.email?.message_id, legacyId);
  });

  test('concurrent ingests: two different mails with one id both stored, two copies of one stored once', async () => {
    const { store } = runtime.context;
    const deps = {
      store,
      logger: createLogger('silent'),
      maxMailBytes: runtime.context.env.POSTROOM_MAX_MAIL_BYTES,
    };
    for (let round = 0; round < 5; round++) {
      const id = newMessageId(`race${round}`);
      const a = buildMail({ messageId: id, from: 'ann@example.com', body: `First ${round}` });
      const b = buildMail({ messageId: id, from: 'bob@example.com', body: `Second ${round}` });
      const outcomes = await Promise.all([a, b, a, b, a].map((raw) => ingestEmail(deps, job(raw))));
      const stored = outcomes.filter((o) => o.kind === 'stored');
      assert.equal(stored.length, 2, `round ${round}: ${outcomes.map((o) => o.kind).join()}`);
      assert.equal(outcomes.filter((o) => o.kind === 'duplicate').length, 3);
      const copies = await store.messages.findCopies('acme', 'support', [id]);
      assert.equal(copies.length, 2);
      assert.deepEqual(
        copies.map((m) => m.email?.message_id_reused).sort(),
        [false, true],
        'exactly one holds the plain id',
      );
      const senders = new Set(copies.map((m) => m.email?.from?.address));
      assert.deepEqual([...senders].sort(), ['ann@example.com', 'bob@example.com']);
      // Each mail sits in a case of its own, whose customer is its sender.
      const conversations = await Promise.all(
        copies.map((m) => store.conversations.get('acme', m.conversation_id)),
      );
      assert.notEqual(conversations[0]?._id, conversations[1]?._id);
      conversations.forEach((conversation, i) => {
        assert.deepEqual(
          conversation?.participants.flatMap((p) => (p.customer ? [p.customer.address] : [])),
          [copies[i]?.email?.from?.address],
        );
      });
      // No empty case was left behind by a lost race.
      for (const conversation of conversations) assert.ok(conversation?.last_message_id);
    }
    const empty = await db
      .collection('conversations')
      .countDocuments({ account_id: 'acme', last_message_id: null });
    assert.equal(empty, 0, 'no case without a message');
  });
});
