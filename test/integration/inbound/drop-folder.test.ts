// The drop-folder mailbox end to end through the real runtime: files become
// conversations, then move to processed/; unreadable ones are still stored.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  accountConfig,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';

const drop = mkdtempSync(join(tmpdir(), 'postroom-drop-'));
const outbox = mkdtempSync(join(tmpdir(), 'postroom-outbox-'));
let runtime: TestRuntime;

before(async () => {
  runtime = await startTestRuntime(
    accountConfig([
      {
        id: 'support',
        address: 'support@acme.test',
        drop_folder: drop,
        outbox_folder: outbox,
        agents: ['drafter'],
      },
    ]),
    { env: {} },
  );
});
after(async () => {
  await runtime.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

function eml(id: string, subject: string, extra = ''): string {
  return [
    'From: Jane Customer <jane@example.com>',
    'To: Acme Support <support@acme.test>',
    `Subject: ${subject}`,
    `Message-ID: <${id}>`,
    'Date: Mon, 23 Nov 2026 09:00:00 +0000',
    extra,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello, my order has not arrived.',
    '',
  ]
    .filter((line, i, all) => line !== '' || i >= all.indexOf('MIME-Version: 1.0'))
    .join('\r\n');
}

describe('drop folder', () => {
  test('a dropped .eml becomes a conversation and moves to processed/', async () => {
    writeFileSync(join(drop, 'first.eml'), eml('first@example.com', 'Where is my order?'));
    const store = runtime.context.store;
    const message = await waitUntil(
      () => store.messages.findByEmailMessageId('acme', 'support', 'first@example.com'),
      { what: 'the dropped message to be stored' },
    );
    assert.equal(message.status, 'sent');
    assert.equal(message.sequence, 1);
    const conversation = await store.conversations.get('acme', message.conversation_id);
    assert.equal(conversation?.title, 'Where is my order?');
    assert.equal(conversation?.workflow_status, 'new');
    await waitUntil(
      () =>
        existsSync(join(drop, 'processed')) &&
        readdirSync(join(drop, 'processed')).some((f) => f.endsWith('first.eml')),
      {
        what: 'the file to move to processed/',
      },
    );
    assert.ok(!existsSync(join(drop, 'first.eml')));
  });

  test('an unreadable file is still stored with what could be read, and moves to processed/', async () => {
    writeFileSync(
      join(drop, 'garbage.eml'),
      Buffer.from([0, 1, 2, 255, 254, 10, 13, 10, 0x41, 0x42]),
    );
    await waitUntil(
      () =>
        existsSync(join(drop, 'processed')) &&
        readdirSync(join(drop, 'processed')).some((f) => f.endsWith('garbage.eml')),
      { what: 'the garbage file to be processed' },
    );
    const page = (
      await runtime.json<{ data: Array<{ title: string; id: string }> }>(
        '/v1/messaging/conversations?limit=100',
      )
    ).data;
    assert.ok(
      page.some((c) => c.title === '(no subject)'),
      'the unreadable mail opened a case',
    );
  });

  test('a job that fails for good is visible through the API with its reason', async () => {
    // A claimed file that vanished before ingest: the job cannot succeed.
    await runtime.context.queues.enqueue(
      'mail.ingest',
      {
        account_id: 'acme',
        mailbox_id: 'support',
        source: { kind: 'file', name: 'vanished.eml', sha256: '0'.repeat(64) },
        raw: { kind: 'file' },
      },
      { attempts: 1 },
    );
    const failures = await waitUntil(
      async () => {
        const body = await runtime.json<{
          data: Array<{ reason: string; source: { name: string } }>;
        }>('/v1/admin/inbound-failures');
        return body.data.length > 0 ? body.data : null;
      },
      { what: 'the failure to be recorded' },
    );
    assert.equal(failures[0]?.source.name, 'vanished.eml');
    assert.match(failures[0]?.reason ?? '', /ENOENT/);
    await waitUntil(() => existsSync(join(drop, 'failed', 'vanished.eml.error.txt')), {
      what: 'the .error.txt',
    });
  });

  test('the mailbox list shows the drop folder with its sync state: idle, no error, no IMAP position', async () => {
    const body = await runtime.json<{
      data: Array<{
        id: string;
        kind: string;
        sync: {
          status: string;
          last_error: string | null;
          uidvalidity: string | null;
          last_uid: number;
          last_sync_at: string | null;
        };
      }>;
    }>('/v1/admin/mailboxes');
    // A drop folder has no connection to report on: its watcher leaves the
    // sync state as created (the IMAP watcher is what moves it, test/integration/imap).
    assert.deepEqual(
      body.data.map((m) => [m.id, m.kind, m.sync]),
      [
        [
          'support',
          'drop_folder',
          { status: 'idle', last_error: null, uidvalidity: null, last_uid: 0, last_sync_at: null },
        ],
      ],
    );
  });
});
