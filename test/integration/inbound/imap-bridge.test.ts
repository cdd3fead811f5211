// The inbound bridge against real Dovecot, checked through the HTTP API: a
// thread, duplicates, noise, a bounce, attachments, charsets and broken MIME
// become exactly the expected conversations, messages and flags.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appendMessage, testImapServer } from '../../support/imap.ts';
import { buildMail, buildMailWithAttachments, newMessageId } from '../../support/mail-builder.ts';
import {
  accountConfig,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { imapSupportMailbox, waitQueuesIdle } from '../../support/helpers.ts';
import { waitUntil } from '../../support/wait.ts';

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, checked by the assertions
}

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'mail');
const imap = testImapServer();
const user = imap.userFor('bridge');
let runtime: TestRuntime;

// The timeline: sent messages (the mailbox's template agent also drafts replies).
async function messagesOf(conversationId: string): Promise<Json[]> {
  const page = await runtime.json<Json>(
    `/v1/messaging/conversations/${conversationId}/messages?limit=100&status=sent`,
  );
  return page.data as Json[];
}

async function conversations(): Promise<Json[]> {
  const page = await runtime.json<Json>('/v1/messaging/conversations?mailbox_id=support&limit=100');
  return page.data as Json[];
}

/** The stored message with this Message-ID, once the API shows it. */
async function waitForEmail(messageId: string): Promise<{ conversation: Json; message: Json }> {
  return waitUntil(
    async () => {
      for (const conversation of await conversations()) {
        const message = (await messagesOf(conversation.id)).find(
          (m) => m.email?.message_id === messageId,
        );
        if (message) return { conversation, message };
      }
      return null;
    },
    { what: `message ${messageId} in the API`, timeoutMs: 30_000 },
  );
}

/**
 * Every ingest job handed over so far has finished. Jobs run side by side, so a
 * marker appended last can be stored before the copies appended ahead of it are
 * done (a copy of a message still settling even waits a round): only once the
 * queue is idle does "stored once" mean something.
 */
function ingestIdle(): Promise<void> {
  return waitQueuesIdle(runtime, ['mail.ingest']);
}

before(async () => {
  runtime = await startTestRuntime(accountConfig([imapSupportMailbox(imap, user)]));
});

after(async () => {
  await runtime.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

describe('inbound bridge over IMAP', () => {
  const root = newMessageId('root');
  const reply1 = newMessageId('reply1');
  const reply2 = newMessageId('reply2');

  test('a thread of three replies is one conversation with sequences 1, 2, 3', async () => {
    await appendMessage(imap, user, buildMail({ messageId: root, subject: 'Order 1234 missing' }));
    await appendMessage(
      imap,
      user,
      buildMail({
        messageId: reply1,
        subject: 'Re: Order 1234 missing',
        inReplyTo: root,
        references: [root],
        body: 'Any news?\n\n> Hello, my order',
      }),
    );
    await appendMessage(
      imap,
      user,
      buildMail({
        messageId: reply2,
        subject: 'RE: Order 1234 missing',
        inReplyTo: reply1,
        references: [root, reply1],
        body: 'Still waiting.',
      }),
    );
    const { conversation } = await waitForEmail(reply2);
    const messages = await messagesOf(conversation.id);
    assert.deepEqual(
      messages.map((m) => [
        m.email.message_id,
        m.sequence,
        m.status,
        m.kind,
        m.visibility,
        m.channel,
      ]),
      [
        [root, 1, 'sent', 'email', 'external', 'email'],
        [reply1, 2, 'sent', 'email', 'external', 'email'],
        [reply2, 3, 'sent', 'email', 'external', 'email'],
      ],
    );
    assert.equal(conversation.title, 'Order 1234 missing');
    assert.equal(conversation.type, 'group');
    assert.equal(conversation.audience, 'customer');
    // The mailbox's template agent may have finished a draft already (new → needs_approval).
    assert.ok(
      ['new', 'needs_approval'].includes(conversation.workflow_status),
      conversation.workflow_status,
    );
    assert.match(conversation.case_number, /^[1-9]\d*$/);
    assert.equal(messages[1]?.email.in_reply_to, root);
    assert.deepEqual(messages[2]?.email.references, [root, reply1]);
    assert.deepEqual(messages[0]?.email.from, {
      name: 'Jane Customer',
      address: 'jane@customer.example',
    });
    const full = await runtime.json<Json>(
      `/v1/messaging/conversations/${conversation.id}?include[]=participants`,
    );
    const types = (full.participants.data as Json[]).map((p) => p.type).sort();
    assert.deepEqual(types, ['agent', 'customer']);
    const agent = (full.participants.data as Json[]).find((p) => p.type === 'agent');
    assert.equal(agent?.agent_trigger_policy, 'always');
  });

  test('the same message twice is stored once', async () => {
    const id = newMessageId('twice');
    const raw = buildMail({ messageId: id, subject: 'Refund please' });
    await appendMessage(imap, user, raw);
    await appendMessage(imap, user, raw);
    const marker = newMessageId('after-twice');
    await appendMessage(
      imap,
      user,
      buildMail({ messageId: marker, subject: 'Marker after duplicates' }),
    );
    await waitForEmail(marker);
    await ingestIdle();
    const matching = (await conversations()).filter((c) => c.title === 'Refund please');
    assert.equal(matching.length, 1);
    assert.equal((await messagesOf(matching[0]?.id)).length, 1);
  });

  test('a message without Message-ID, appended twice, is stored once under a stable synthetic id', async () => {
    const raw = buildMail({
      messageId: null,
      subject: 'No id here',
      body: 'I have no Message-ID header.',
    });
    await appendMessage(imap, user, raw);
    await appendMessage(imap, user, raw);
    const marker = newMessageId('after-noid');
    await appendMessage(
      imap,
      user,
      buildMail({ messageId: marker, subject: 'Marker after no-id' }),
    );
    await waitForEmail(marker);
    await ingestIdle();
    const matching = (await conversations()).filter((c) => c.title === 'No id here');
    assert.equal(matching.length, 1);
    const messages = await messagesOf(matching[0]?.id);
    assert.equal(messages.length, 1);
    assert.match(messages[0]?.email.message_id, /no-message-id\.invalid$/);
  });

  test('an auto-reply and a list mail are stored flagged as auto-submitted', async () => {
    const auto = newMessageId('ooo');
    await appendMessage(
      imap,
      user,
      buildMail({
        messageId: auto,
        subject: 'Out of office',
        headers: { 'Auto-Submitted': 'auto-replied', 'X-Autoreply': 'yes' },
      }),
    );
    const list = newMessageId('list');
    await appendMessage(
      imap,
      user,
      buildMail({
        messageId: list,
        from: 'Announce <announce@lists.example>',
        subject: 'Weekly digest',
        headers: {
          'List-Id': '<announce.lists.example>',
          Precedence: 'list',
          'List-Unsubscribe': '<mailto:leave@lists.example>',
        },
      }),
    );
    const autoReply = (await waitForEmail(auto)).message;
    assert.equal(autoReply.email.auto_submitted, true);
    const listMail = (await waitForEmail(list)).message;
    assert.equal(listMail.email.auto_submitted, true);
    const normal = (await waitForEmail(root)).message;
    assert.equal(normal.email.auto_submitted, false);
  });

  test('a bounce of a message we sent joins its case and posts an internal alert', async () => {
    const { conversation } = await waitForEmail(root);
    // A reply Postroom sent on this case (delivery itself is tested elsewhere).
    const ours = `reply.${Date.now()}@acme.test`;
    await runtime.context.store.messages.appendSent({
      account_id: 'acme',
      conversation_id: conversation.id,
      kind: 'agent',
      visibility: 'external',
      channel: 'email',
      body: 'We are looking into it.',
      mailbox_id: 'support',
      email: {
        message_id: ours,
        in_reply_to: root,
        references: [root],
        from: { name: 'Acme Support', address: 'support@acme.test' },
        to: [{ name: null, address: 'jane@customer.example' }],
        cc: [],
        auto_submitted: false,
        auto_submitted_reason: null,
        subject: 'Re: Order 1234 missing',
        date: new Date(),
      },
    });
    const bounceId = newMessageId('dsn');
    const bounce = readFileSync(join(fixtures, 'dsn-bounce.eml'), 'latin1')
      .replace(
        /Message-ID: <20250308100005\.1A2B3C4D5E@mx\.example\.com>/,
        `Message-ID: <${bounceId}>`,
      )
      .replace('<postroom-out-7@acme.test>', `<${ours}>`);
    assert.ok(bounce.includes(ours), 'the fixture names the bounced message');
    await appendMessage(imap, user, Buffer.from(bounce, 'latin1'));
    const stored = await waitForEmail(bounceId);
    assert.equal(
      stored.conversation.id,
      conversation.id,
      'the bounce joined the case of the bounced reply',
    );
    assert.equal(stored.message.email.auto_submitted, true);
    const alert = await waitUntil(
      async () => (await messagesOf(conversation.id)).find((m) => m.kind === 'alert'),
      { what: 'the bounce alert' },
    );
    assert.equal(alert.visibility, 'internal');
    assert.match(alert.body, /nobody@example\.com/);
    const after = await runtime.json<Json>(`/v1/messaging/conversations/${conversation.id}`);
    assert.equal(after.workflow_status, 'waiting_internal');
  });

  test('a 5 MB attachment and an inline image are stored, listed and downloadable', async () => {
    const id = newMessageId('attach');
    const size = 5 * 1024 * 1024;
    const raw = buildMailWithAttachments({ messageId: id, attachmentBytes: size });
    await appendMessage(imap, user, raw);
    const { message } = await waitForEmail(id);
    const attachments = message.attachments.data as Json[];
    const image = attachments.find((a) => a.kind === 'image');
    const file = attachments.find((a) => a.kind === 'file');
    assert.equal(image?.filename, 'parcel.png');
    assert.equal(image?.content_type, 'image/png');
    assert.equal(file?.filename, 'invoice.pdf');
    assert.equal(file?.content_type, 'application/pdf');
    assert.equal(file?.size_bytes, size);
    const download = await runtime.request(file?.url);
    assert.equal(download.status, 200);
    const body = Buffer.from(await download.arrayBuffer());
    const expected = Buffer.alloc(size);
    for (let i = 0; i < size; i += 1) expected[i] = (i * 31 + 7) & 0xff;
    assert.equal(
      createHash('sha256').update(body).digest('hex'),
      createHash('sha256').update(expected).digest('hex'),
    );
    assert.match(message.html ?? message.body ?? '', /damaged/);
  });

  test('ISO-8859-1 and ISO-2022-JP mail is decoded', async () => {
    const latin = newMessageId('latin1');
    const latinRaw = Buffer.from(
      buildMail({
        messageId: latin,
        subject: '=?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=',
        contentType: 'text/plain; charset=ISO-8859-1',
        body: 'Schöne Grüße, Jürgen',
      }),
      'latin1',
    );
    await appendMessage(imap, user, latinRaw);
    const japanese = readFileSync(join(fixtures, 'iso-2022-jp.eml'));
    await appendMessage(imap, user, japanese);
    const latinStored = await waitForEmail(latin);
    assert.equal(latinStored.conversation.title, 'Grüße aus Köln');
    assert.match(latinStored.message.body, /Schöne Grüße, Jürgen/);
    const jp = await waitForEmail('jis-0008@example.jp');
    assert.equal(jp.conversation.title, '注文について');
    assert.match(jp.message.body, /注文番号12345/);
  });

  test('broken MIME is stored with what could be read', async () => {
    await appendMessage(imap, user, readFileSync(join(fixtures, 'broken-mime.eml')));
    const { message, conversation } = await waitForEmail('broken-0011@example.com');
    assert.equal(conversation.title, 'Broken message');
    assert.match(message.body, /The body text survives/);
    assert.equal((message.attachments.data as Json[]).length, 1);
  });

  test('a message appended while the watcher idles shows up', async () => {
    const id = newMessageId('idle');
    await appendMessage(imap, user, buildMail({ messageId: id, subject: 'Sent while idle' }));
    const { message } = await waitForEmail(id);
    assert.equal(message.status, 'sent');
  });

  test('mail from our own address opens no case: it is quarantined with its IMAP source', async () => {
    const id = newMessageId('self');
    const { uid } = await appendMessage(
      imap,
      user,
      buildMail({ from: 'Acme Support <Support+Loop@ACME.test>', messageId: id, subject: 'Self' }),
    );
    const failure = await waitUntil(
      async () =>
        ((await runtime.json<Json>('/v1/admin/inbound-failures')).data as Json[]).find(
          (f) => f.message_id === id,
        ),
      { what: 'the own mail to be quarantined', timeoutMs: 30_000 },
    );
    assert.equal(failure.kind, 'quarantined');
    assert.deepEqual([failure.source.kind, failure.source.uid], ['imap', uid]);
    assert.match(failure.reason, /own_address: mail from Support\+Loop@acme\.test/);
    assert.ok(!(await conversations()).some((c) => c.title === 'Self'), 'no case opened');
  });

  test('the mailbox status shows a healthy watcher with its progress', async () => {
    const mailbox = await runtime.context.store.mailboxes.getByKey('acme', 'support');
    assert.equal(mailbox?.sync.status, 'ok');
    assert.ok((mailbox?.sync.last_uid ?? 0) >= 14);
    assert.ok(mailbox?.sync.uidvalidity);
  });
});
