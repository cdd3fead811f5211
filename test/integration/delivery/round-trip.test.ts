// The whole loop against real servers: a customer's mail in Dovecot becomes a
// case, the agent drafts, a human approves over HTTP, the reply reaches the
// SMTP server threaded, and the customer's answer to it (appended to Dovecot,
// under a new subject) lands in the same case. Then Redis loses the delivery
// queue while 20 replies are scheduled, and every one still goes out once.
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { after, before, describe, test } from 'node:test';
import { scheduleDelivery } from '../../../src/delivery/schedule.ts';
import { createReconciler } from '../../../src/maintenance/reconciler.ts';
import { appendMessage, testImapServer } from '../../support/imap.ts';
import { buildMail, newMessageId } from '../../support/mail-builder.ts';
import {
  accountConfig,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import { waitUntil } from '../../support/wait.ts';
import { openCase } from './helpers.ts';

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, checked by the assertions
}

const imap = testImapServer();
const user = imap.userFor('roundtrip');
let smtp: SmtpTestServer;
let runtime: TestRuntime;

before(async () => {
  smtp = await startSmtpTestServer();
  runtime = await startTestRuntime(
    accountConfig([
      {
        id: 'support',
        address: 'support@acme.test',
        display_name: 'Acme Support',
        imap: {
          host: imap.host,
          port: imap.port,
          secure: false,
          auth: { user, pass: imap.password },
          folder: 'INBOX',
        },
        smtp: { host: smtp.host, port: smtp.port, secure: false },
        agents: ['drafter'],
        delivery: { max_attempts: 4, backoff_ms: 200 },
      },
    ]),
  );
});

after(async () => {
  await runtime.stop();
  await smtp.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

async function post(path: string, body: unknown): Promise<Response> {
  return runtime.request(path, { method: 'POST', body: JSON.stringify(body) });
}

describe('reply loop', () => {
  test('approved reply goes out threaded; the customer answer to it joins the same case', async () => {
    const first = newMessageId('loop');
    await appendMessage(
      imap,
      user,
      buildMail({ messageId: first, subject: 'Broken zipper', body: 'The zipper broke.' }),
    );
    const stored = await waitUntil(
      () => runtime.context.store.messages.findByEmailMessageId('acme', 'support', first),
      {
        what: 'the inbound mail',
      },
    );
    const conversation = stored.conversation_id;
    const draft = await waitUntil(
      async () =>
        (
          (
            await runtime.json<Json>(
              `/v1/messaging/conversations/${conversation}/messages?status=draft`,
            )
          ).data as Json[]
        ).find((m) => m.streaming_state === 'complete'),
      { what: 'the template draft' },
    );
    const approved = await post(`/v1/messaging/messages/${draft.id}/actions/approve`, {
      body: 'We will send a new one today.',
    });
    assert.equal(approved.status, 200, await approved.clone().text());

    const [delivered] = await smtp.waitForMessages(1);
    const mail = await simpleParser(delivered?.raw ?? Buffer.alloc(0));
    const sent = await waitUntil(
      async () => {
        const message = await runtime.context.store.messages.get('acme', draft.id);
        return message?.status === 'sent' ? message : null;
      },
      { what: 'the reply to be sent' },
    );
    assert.equal(mail.messageId, `<${sent.email?.message_id}>`);
    assert.equal(mail.inReplyTo, `<${first}>`);
    assert.deepEqual([mail.references].flat(), [`<${first}>`]);
    assert.equal(mail.subject, 'Re: Broken zipper');
    assert.match(mail.text ?? '', /We will send a new one today\./);
    // The case moves just after the message is marked sent: wait for it.
    await waitUntil(
      async () =>
        (await runtime.json<Json>(`/v1/messaging/conversations/${conversation}`))
          .workflow_status === 'waiting_external',
      { what: 'the case to wait on the customer' },
    );

    // The customer answers our reply from their mail client, with a new subject.
    const answer = newMessageId('answer');
    await appendMessage(
      imap,
      user,
      buildMail({
        messageId: answer,
        subject: 'Thanks!',
        inReplyTo: sent.email?.message_id,
        references: [first, sent.email?.message_id ?? ''],
        body: 'Great, thank you.',
      }),
    );
    const reply = await waitUntil(
      () => runtime.context.store.messages.findByEmailMessageId('acme', 'support', answer),
      {
        what: "the customer's answer",
      },
    );
    assert.equal(reply.conversation_id, conversation, 'threaded by In-Reply-To to our reply');
    assert.equal(reply.sequence, 3);
    // The case moves just after the answer is stored.
    await waitUntil(
      async () =>
        (await runtime.json<Json>(`/v1/messaging/conversations/${conversation}`))
          .workflow_status === 'open',
      { what: 'the case to reopen' },
    );
  });

  test('Redis loses the delivery queue while 20 replies are scheduled: all 20 still go out, each once', async () => {
    smtp.messages.length = 0;
    const open = await openCase(runtime, { title: 'Flush test' });
    const ids: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const message = await runtime.context.store.messages.insert({
        account_id: 'acme',
        conversation_id: open.conversation._id,
        kind: 'chat',
        status: 'scheduled',
        visibility: 'external',
        channel: 'email',
        body: `Scheduled reply ${i}`,
        // Due in 6 s: the jobs still sit in Redis's delayed set when it is wiped, however
        // long 20 inserts and enqueues take on a loaded machine.
        scheduled_at: new Date(Date.now() + 6_000),
        mailbox_id: 'support',
      });
      await scheduleDelivery(runtime.context.queues, message);
      ids.push(message._id);
    }
    const delayed = await runtime.context.queues.queue('message.deliver').getDelayedCount();
    assert.ok(delayed >= 20, `${delayed} delayed jobs before the wipe`);
    // "FLUSHDB" of this test's prefix only: the Redis server is shared.
    await dropRedisPrefix(runtime.prefix);
    assert.equal(await runtime.context.queues.queue('message.deliver').getDelayedCount(), 0);

    const reconciler = createReconciler(
      {
        store: runtime.context.store,
        queues: runtime.context.queues,
        redis: runtime.context.redis,
        prefix: runtime.prefix,
        logger: runtime.context.logger,
      },
      { settleMs: 0 },
    );
    // The runtime's own maintenance role may hold the pass lock for a moment (its
    // passes leave these replies alone: they changed within its settle time).
    const report = await waitUntil(
      async () => {
        const pass = await reconciler.runPass();
        return pass.ran ? pass : null;
      },
      { what: 'a reconciler pass that took the lock' },
    );
    assert.ok(report.deliveries.enqueued >= 20, JSON.stringify(report));

    await waitUntil(
      async () => {
        const messages = await Promise.all(
          ids.map((id) => runtime.context.store.messages.get('acme', id)),
        );
        return messages.every((m) => m?.status === 'sent');
      },
      { what: 'all 20 replies sent', timeoutMs: 30_000 },
    );
    const bodies = await Promise.all(
      smtp.messages.map(async (m) => (await simpleParser(m.raw)).text ?? ''),
    );
    for (let i = 0; i < 20; i += 1) {
      const copies = bodies.filter(
        (text) => text.includes(`Scheduled reply ${i}\n`) || text.trim() === `Scheduled reply ${i}`,
      );
      assert.equal(copies.length, 1, `reply ${i} was sent ${copies.length} times`);
    }
  });
});
