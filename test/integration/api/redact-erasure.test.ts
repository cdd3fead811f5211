// Redaction end to end through the real runtime: a customer's mail with an
// attachment arrives over IMAP, the agent drafts a reply that is approved for
// later, a teammate adds a note with an Idempotency-Key and renames the case;
// then the case is redacted, and neither the database (every collection,
// GridFS included) nor Redis (every key of the test's prefix) holds the
// customer's address, name or words any more.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { appendMessage, testImapServer } from '../../support/imap.ts';
import { newMessageId } from '../../support/mail-builder.ts';
import {
  accountConfig,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { imapSupportMailbox, waitQueuesIdle } from '../../support/helpers.ts';
import { waitUntil } from '../../support/wait.ts';
import { scanDatabase, scanRedis } from './erasure-scan.ts';

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, checked by the assertions
}

const imap = testImapServer();
const user = imap.userFor('redact');
let runtime: TestRuntime;

const ADDRESS = 'zelda.quixote@privacy.example';
const CC = 'bob.marlowe@privacy.example';
const PHRASE = 'QX-7781';
// What must be gone: the address, the name (each part), a cc'd address, the words.
const NEEDLES = [ADDRESS, 'Zelda', 'Quixote', CC, 'Marlowe', PHRASE];

function customerMail(messageId: string): string {
  const receipt = Buffer.from(`Receipt for Zelda Quixote, lamp ${PHRASE}, paid in full.\n`);
  return [
    `From: Zelda Quixote <${ADDRESS}>`,
    'To: Acme Support <support@acme.test>',
    `Cc: Bob Marlowe <${CC}>`,
    `Subject: Lamp ${PHRASE} flickers`,
    'Date: Mon, 23 Nov 2026 09:00:00 +0000',
    `Message-ID: <${messageId}>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: multipart/alternative; boundary="b2"',
    '',
    '--b2',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello, my lamp with serial ${PHRASE} flickers. Zelda Quixote`,
    '--b2',
    'Content-Type: text/html; charset=utf-8',
    '',
    `<p>Hello, my lamp with serial <b>${PHRASE}</b> flickers.</p><p>Zelda Quixote</p>`,
    '--b2--',
    '--b1',
    'Content-Type: text/plain; name="receipt-zelda.txt"',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="receipt-zelda.txt"',
    '',
    receipt.toString('base64'),
    '--b1--',
    '',
  ].join('\r\n');
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json; text: string }> {
  const response = await runtime.request(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Json) : {}, text };
}

/** No ingest or agent work waiting or running (a scheduled delivery may wait). */
const workIdle = (): Promise<void> => waitQueuesIdle(runtime, ['mail.ingest', 'agent.run']);

before(async () => {
  runtime = await startTestRuntime(accountConfig([imapSupportMailbox(imap, user)]));
});

after(async () => {
  await runtime.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

describe('redaction erases the customer everywhere', () => {
  const messageId = newMessageId('lamp');
  let conversationId = '';
  let scheduledId = '';
  const noteKey = 'note-before-redaction';
  const note = {
    body: `Zelda Quixote phoned about ${PHRASE}`,
    visibility: 'internal',
    channel: 'message',
  };

  test('a real mail, an agent draft approved for later, a note and a rename', async () => {
    await appendMessage(imap, user, customerMail(messageId));
    const conversation = await waitUntil(
      async () => {
        const page = await call('GET', '/v1/messaging/conversations?mailbox_id=support');
        return (page.json.data as Json[]).find((c) => c.title?.includes(PHRASE));
      },
      { what: 'the case the mail opens', timeoutMs: 30_000 },
    );
    conversationId = conversation.id as string;
    const draft = await waitUntil(
      async () => {
        const page = await call(
          'GET',
          `/v1/messaging/conversations/${conversationId}/messages?status=draft`,
        );
        return (page.json.data as Json[]).find((m) => m.streaming_state === 'complete');
      },
      { what: 'the agent’s finished draft', timeoutMs: 30_000 },
    );
    assert.match(draft.body, /Zelda/, 'the template greets the customer by name');
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const approved = await call('POST', `/v1/messaging/messages/${draft.id}/actions/approve`, {
      scheduled_at: later,
    });
    assert.equal(approved.status, 200, approved.text);
    scheduledId = draft.id as string;

    const posted = await call(
      'POST',
      `/v1/messaging/conversations/${conversationId}/messages`,
      note,
      {
        'idempotency-key': noteKey,
      },
    );
    assert.equal(posted.status, 201, posted.text);
    const renamed = await call('PATCH', `/v1/messaging/conversations/${conversationId}`, {
      title: `Zelda's lamp ${PHRASE}`,
    });
    assert.equal(renamed.status, 200, renamed.text);
    await workIdle();
    const parked = await call('GET', `/v1/messaging/conversations/${conversationId}`);
    assert.equal(parked.json.workflow_status, 'needs_approval', 'the draft parked the case');

    // The scan itself must see what it looks for, or its silence later means nothing.
    const database = await scanDatabase(runtime.mongoUri, NEEDLES);
    const redis = await scanRedis(runtime.prefix, NEEDLES);
    const where = database.map((f) => f.where.split('/')[0]);
    for (const collection of [
      'conversations',
      'chat_messages',
      'files.chunks',
      'idempotency_keys',
      'audit',
    ]) {
      assert.ok(where.includes(collection), `before: the scan finds the customer in ${collection}`);
    }
    assert.ok(
      redis.some((f) => f.needle === ADDRESS && f.where.includes('mail.ingest')),
      'before: the scan finds the raw mail in the finished ingest job',
    );
  });

  test('after the redaction nothing of the customer is left, in MongoDB or Redis', async () => {
    const res = await call(
      'POST',
      `/v1/messaging/conversations/${conversationId}/actions/redact?include[]=participants`,
    );
    assert.equal(res.status, 200, res.text);
    const database = await scanDatabase(runtime.mongoUri, NEEDLES);
    assert.deepEqual(database, [], 'no collection holds the customer');
    const redis = await scanRedis(runtime.prefix, NEEDLES);
    assert.deepEqual(redis, [], 'no Redis key holds the customer');
  });

  test('the loose ends: lane, tombstones, no URL, canceled reply, no approval, no replay', async () => {
    const conversation = await call(
      'GET',
      `/v1/messaging/conversations/${conversationId}?include[]=participants`,
    );
    assert.equal(conversation.json.workflow_status, 'open', 'out of needs_approval');
    assert.equal(conversation.json.title, null);
    const customer = (conversation.json.participants.data as Json[]).find(
      (p) => p.type === 'customer',
    );
    assert.deepEqual(customer?.customer, { name: null, address: '[redacted]' });

    const messages = await call(
      'GET',
      `/v1/messaging/conversations/${conversationId}/messages?limit=100`,
    );
    const data = messages.json.data as Json[];
    assert.ok(data.length >= 3);
    for (const message of data) {
      assert.equal(message.body, null, `message ${message.id} has no body`);
      assert.ok(message.deleted_at, `message ${message.id} is a tombstone`);
    }
    const email = data.find((m) => m.kind === 'email');
    assert.equal(email?.attachments.data.length, 1, 'the attachment stays listed');
    assert.equal(email?.attachments.data[0].url, null, 'without a file there is no url');
    assert.equal(email?.attachments.data[0].filename, null);

    const scheduled = data.find((m) => m.id === scheduledId);
    assert.equal(scheduled?.status, 'canceled', 'the reply approved for later does not go out');
    const stored = await runtime.context.store.messages.get('acme', scheduledId);
    assert.equal(stored?.cancel?.reason, 'conversation_redacted');

    const approve = await call('POST', `/v1/messaging/messages/${scheduledId}/actions/approve`, {});
    assert.equal(approve.status, 409, approve.text);
    assert.equal(approve.json.error.code, 'message_redacted');

    const replay = await call(
      'POST',
      `/v1/messaging/conversations/${conversationId}/messages`,
      note,
      { 'idempotency-key': noteKey },
    );
    assert.equal(replay.status, 410, replay.text);
    assert.equal(replay.json.error.code, 'idempotency_key_redacted');
  });

  test('the audit trail keeps who did what, without the content', async () => {
    const audit = await call(
      'GET',
      `/v1/messaging/conversations/${conversationId}/audit?limit=100`,
    );
    assert.equal(audit.status, 200, audit.text);
    const entries = audit.json.data as Json[];
    const kinds = entries.map((e) => e.kind);
    for (const kind of ['message_approved', 'conversation_updated', 'redacted']) {
      assert.ok(kinds.includes(kind), `an entry ${kind}`);
    }
    const redacted = entries.find((e) => e.kind === 'redacted');
    assert.equal(redacted?.actor?.type, 'api_key');
    assert.equal(redacted?.actor?.object, 'actor');
    // The system's moves (the draft parked the case) and the redactor's (out of needs_approval).
    const moves = entries
      .filter((e) => e.kind === 'workflow_status_changed')
      .map((e) => [e.actor?.type ?? null, e.changes[0].before, e.changes[0].after]);
    assert.deepEqual(moves.slice(-1), [['api_key', 'needs_approval', 'open']]);
    assert.ok(
      moves.some(([actor, , to]) => actor === null && to === 'needs_approval'),
      'the agent’s finished draft moved the case, by the system',
    );
    const rename = entries.find((e) => e.kind === 'conversation_updated');
    assert.deepEqual(rename?.changes, [{ field: 'title', before: null, after: null }]);
  });
});
