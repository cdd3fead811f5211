// Mail over POSTROOM_MAX_MAIL_BYTES (small here) is quarantined unread on
// every path, with a reason naming the limit and the setting: a drop-folder
// file goes to failed/ with its .error.txt, an IMAP message stays on the
// server untouched, an ingest job is refused before it reads the source; all
// three show at /v1/admin/inbound-failures. Mail under the limit still flows.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appendMessage, testImapServer } from '../../support/imap.ts';
import { largeMail } from '../../support/large-mail.ts';
import {
  accountConfig,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';
import { ImapFlow } from 'imapflow';

const LIMIT = 64 * 1024;
const REASON = new RegExp(
  `^not (ingested|fetched, left on the IMAP server): the mail is \\d+ bytes, over the limit of ${LIMIT} bytes \\(POSTROOM_MAX_MAIL_BYTES\\)$`,
);
const drop = mkdtempSync(join(tmpdir(), 'postroom-drop-'));
const imap = testImapServer();
const user = imap.userFor('limit');
let runtime: TestRuntime;

before(async () => {
  runtime = await startTestRuntime(
    accountConfig([
      {
        id: 'dropped',
        address: 'dropped@acme.test',
        drop_folder: drop,
        outbox_folder: mkdtempSync(join(tmpdir(), 'postroom-outbox-')),
        agents: ['drafter'],
      },
      {
        id: 'imap',
        address: 'support@acme.test',
        imap: {
          host: imap.host,
          port: imap.port,
          secure: false,
          auth: { user, pass: imap.password },
          folder: 'INBOX',
          // Even so, a mail over the limit is not touched.
          mark_seen: true,
        },
        outbox_folder: mkdtempSync(join(tmpdir(), 'postroom-outbox-')),
        agents: ['drafter'],
      },
    ]),
    { env: { POSTROOM_MAX_MAIL_BYTES: String(LIMIT) } },
  );
});
after(async () => {
  await runtime.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

interface FailureJson {
  mailbox_id: string;
  reason: string;
  attempts: number;
  source: { kind: string; uid: number | null; name: string | null };
}

function failureWhere(match: (failure: FailureJson) => boolean): Promise<FailureJson> {
  return waitUntil(
    async () =>
      (await runtime.json<{ data: FailureJson[] }>('/v1/admin/inbound-failures')).data.find(match),
    { what: 'the inbound failure' },
  );
}

/** What another mail program sees of a message: its flags and its source. */
async function onServer(uid: number): Promise<{ flags: Set<string>; source: Buffer | undefined }> {
  const client = new ImapFlow({
    host: imap.host,
    port: imap.port,
    secure: false,
    auth: { user, pass: imap.password },
    logger: false,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.mailboxOpen('INBOX', { readOnly: true });
    const message = await client.fetchOne(
      String(uid),
      { flags: true, source: true },
      { uid: true },
    );
    if (!message) throw new Error(`UID ${uid} is not on the server`);
    return { flags: message.flags ?? new Set(), source: message.source };
  } finally {
    await client.logout().catch(() => client.close());
  }
}

const stored = (mailbox: string, messageId: string) =>
  runtime.context.store.messages.findByEmailMessageId('acme', mailbox, messageId);

describe('mail over POSTROOM_MAX_MAIL_BYTES', () => {
  test('a drop-folder file over the limit moves to failed/ with the reason, unread', async () => {
    const mail = largeMail(LIMIT + 10_000);
    writeFileSync(join(drop, 'too-big.eml'), mail.raw);
    const failure = await failureWhere((f) => f.source.name?.endsWith('too-big.eml') ?? false);
    assert.equal(failure.mailbox_id, 'dropped');
    assert.match(failure.reason, REASON);
    assert.equal(failure.attempts, 0, 'refused before any ingest attempt');
    const failed = await waitUntil(
      () => readdirSync(join(drop, 'failed')).find((f) => f.endsWith('too-big.eml')),
      { what: 'the file in failed/' },
    );
    assert.deepEqual(readFileSync(join(drop, 'failed', failed)), mail.raw, 'moved as it was');
    assert.match(readFileSync(join(drop, 'failed', `${failed}.error.txt`), 'utf8').trim(), REASON);

    // Mail under the limit is still taken.
    const small = largeMail(2_000);
    writeFileSync(join(drop, 'small.eml'), small.raw);
    await waitUntil(() => stored('dropped', small.messageId), { what: 'the small mail' });
    assert.equal(await stored('dropped', mail.messageId), null);
  });

  test('an IMAP message over the limit stays on the server untouched; the next one is taken', async () => {
    const mail = largeMail(LIMIT + 10_000);
    const appended = await appendMessage(imap, user, mail.raw);
    const small = largeMail(2_000);
    const next = await appendMessage(imap, user, small.raw);
    const failure = await failureWhere((f) => f.source.uid === appended.uid);
    assert.equal(failure.mailbox_id, 'imap');
    assert.equal(failure.source.kind, 'imap');
    assert.match(failure.reason, REASON);
    await waitUntil(() => stored('imap', small.messageId), { what: 'the mail after it' });
    assert.equal(await stored('imap', mail.messageId), null);

    const kept = await onServer(appended.uid);
    assert.ok(!kept.flags.has('\\Seen'), 'not marked seen');
    assert.ok(kept.source?.equals(mail.raw), 'still on the server, byte for byte');
    assert.ok((await onServer(next.uid)).flags.has('\\Seen'), 'the one taken is marked seen');
  });

  test('an ingest job over the limit fails at once, without retries, naming the limit', async () => {
    const mail = largeMail(LIMIT + 10_000);
    const file = await runtime.context.store.files.put('queued.eml', mail.raw, {
      account_id: 'acme',
      purpose: 'raw_source',
      content_type: 'message/rfc822',
      mailbox_id: 'imap',
    });
    // The payload understates the size: the stored length is what counts.
    await runtime.context.queues.enqueue('mail.ingest', {
      account_id: 'acme',
      mailbox_id: 'imap',
      source: { kind: 'imap', uidvalidity: '1', uid: 999_999 },
      raw: { kind: 'gridfs', file_id: file.id, size: 100 },
    });
    const failure = await failureWhere((f) => f.source.uid === 999_999);
    assert.equal(failure.attempts, 1, 'no retry: it cannot get smaller');
    assert.equal(
      failure.reason,
      `the mail is ${mail.raw.length} bytes, over the limit of ${LIMIT} bytes (POSTROOM_MAX_MAIL_BYTES)`,
    );
    assert.equal(await stored('imap', mail.messageId), null);
  });
});
