// The Sent folder in delivery, through the real runtime (delivery role) with
// the suite's Dovecot and the SMTP test server: an attempt whose outcome a
// crash lost is looked up in Sent before it is sent again, an IMAP that cannot
// answer never holds a reply for long, and with append_sent each sent reply
// is filed in Sent once.
//
// An interrupted attempt is set up with the writes a run makes before its SMTP
// transaction (headers fixed, attempt counted with sending_at), as a process
// killed mid-send leaves them; a copy in Sent is what Gmail files on accepting.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Counter } from 'prom-client';
import { outboundMeta, toOutboundMail } from '../../../src/delivery/outbound-email.ts';
import { SENT_CHECK_LIMIT } from '../../../src/delivery/prior-attempt.ts';
import { scheduleDelivery } from '../../../src/delivery/schedule.ts';
import { renderMessage } from '../../../src/mail/smtp/compose.ts';
import type { MessageRecord } from '../../../src/store/index.ts';
import type { OutboundEmailMeta } from '../../../src/store/repositories/delivery.ts';
import {
  appendMessage,
  createFolder,
  folderMessageIds,
  testImapServer,
  type TestImapServer,
} from '../../support/imap.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import {
  openCase,
  scheduleReply,
  smtpMailbox,
  startDeliveryRuntime,
  stopRuntime,
  waitForJobDone,
  waitForStatus,
} from './helpers.ts';

type Sendable = MessageRecord & { email: OutboundEmailMeta };

let smtp: SmtpTestServer;
let runtime: TestRuntime;
let dovecot: TestImapServer;
const users: Record<string, string> = {};

/** A mailbox sending to the SMTP test server whose inbound side is `user` at Dovecot. */
function imapMailbox(id: string, user: string, imap: Record<string, unknown> = {}) {
  users[id] = user;
  return {
    ...smtpMailbox(smtp),
    id,
    address: `${id}@acme.test`,
    drop_folder: undefined,
    imap: {
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      auth: { user, pass: dovecot.password },
      folder: 'INBOX',
      ...imap,
    },
  };
}

before(async () => {
  dovecot = testImapServer();
  smtp = await startSmtpTestServer();
  const mailboxes = [
    imapMailbox('special', dovecot.userFor('special')),
    imapMailbox('named', dovecot.userFor('named'), { sent_folder: 'Archive/Sent' }),
    imapMailbox('denied', dovecot.deniedUserFor('denied')),
    imapMailbox('unavailable', dovecot.unavailableUserFor('unavailable')),
    imapMailbox('nofolder', dovecot.userFor('nofolder')),
    imapMailbox('appender', dovecot.userFor('appender'), { append_sent: true }),
    imapMailbox('recovering', dovecot.userFor('recovering'), { append_sent: true }),
    imapMailbox('appenddenied', dovecot.deniedUserFor('appenddenied'), { append_sent: true }),
  ];
  for (const id of ['special', 'appender', 'recovering']) {
    await createFolder(dovecot, users[id] ?? '', 'Sent');
  }
  await createFolder(dovecot, users.named ?? '', 'Archive/Sent');
  runtime = await startDeliveryRuntime(mailboxes);
});

after(async () => {
  await stopRuntime(runtime);
  await smtp.stop();
});

beforeEach(() => {
  smtp.reset();
});

/** The writes a run makes before its SMTP transaction: what a process killed mid-send leaves. */
async function interruptedReply(mailbox: string): Promise<Sendable> {
  const { store } = runtime.context;
  const open = await openCase(runtime, { mailbox });
  const reply = await store.messages.insert({
    account_id: 'acme',
    conversation_id: open.conversation._id,
    kind: 'agent',
    status: 'scheduled',
    visibility: 'external',
    channel: 'email',
    body: 'Hello Jane,\n\nYour order ships tomorrow.',
    scheduled_at: new Date(),
    mailbox_id: mailbox,
  });
  const record = await store.mailboxes.getByKey('acme', mailbox);
  assert.ok(record);
  const meta = outboundMeta({
    message: reply,
    conversation: open.conversation,
    mailbox: record,
    parent: open.inbound,
    now: new Date(),
    random: randomBytes(8).toString('hex'),
  });
  const fixed = await store.delivery.fixEmailMeta('acme', reply._id, meta, reply);
  assert.ok(fixed);
  const started = await store.delivery.beginAttempt(fixed, meta.subject ?? '');
  assert.ok(started?.delivery?.sending_at, 'the attempt is counted');
  return started as Sendable;
}

/** Gmail's part: the server took the message and filed it in Sent. */
async function fileAsServer(mailbox: string, message: Sendable, folder = 'Sent'): Promise<void> {
  const raw = await renderMessage(toOutboundMail(message, null));
  await appendMessage(dovecot, users[mailbox] ?? '', raw, folder, ['\\Seen']);
}

async function count(counter: Counter<string>, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))
    .reduce((sum, v) => sum + v.value, 0);
}

function metrics() {
  return runtime.context.metrics;
}

/** Resume the interrupted reply and wait until its job finished. */
async function resume(message: Sendable): Promise<MessageRecord> {
  await scheduleDelivery(runtime.context.queues, message);
  const sent = await waitForStatus(runtime, message._id, 'sent', 30_000);
  await waitForJobDone(runtime, message._id);
  return sent;
}

function receivedCopies(message: Sendable): number {
  const id = `<${message.email.message_id}>`;
  return smtp.messages.filter((m) => m.raw.toString('latin1').includes(`Message-ID: ${id}`)).length;
}

describe('an attempt whose outcome a crash lost', () => {
  test('found in the folder marked \\Sent: recorded sent, not sent again', async () => {
    const message = await interruptedReply('special');
    await fileAsServer('special', message);
    const attemptsBefore = smtp.attempts;
    const found = await count(metrics().deliverySentChecks, { result: 'found' });

    const sent = await resume(message);
    assert.equal(smtp.attempts, attemptsBefore, 'no SMTP transaction');
    assert.equal(receivedCopies(message), 0);
    assert.equal(sent.delivery?.attempts, 1);
    assert.ok(Number.isInteger(sent.sequence), 'it holds a sequence');
    const sendingAt = message.delivery?.sending_at?.getTime() ?? 0;
    const sentAt = sent.delivery?.sent_at?.getTime() ?? 0;
    assert.ok(sentAt >= sendingAt && sentAt <= Date.now(), 'sent_at within the attempt');
    assert.equal(await count(metrics().deliverySentChecks, { result: 'found' }), found + 1);
  });

  test('not in the folder named by sent_folder: sent again, once', async () => {
    const message = await interruptedReply('named');
    // Another message in that folder does not count as this one.
    await fileAsServer('named', await interruptedReply('named'), 'Archive/Sent');
    const resends = await count(metrics().deliveryResends, { reason: 'not_in_sent_folder' });

    const sent = await resume(message);
    assert.equal(receivedCopies(message), 1);
    assert.equal(sent.delivery?.attempts, 2);
    assert.equal(
      await count(metrics().deliveryResends, { reason: 'not_in_sent_folder' }),
      resends + 1,
    );
  });

  test('a refused IMAP login does not hold the reply: sent again at once', async () => {
    const message = await interruptedReply('denied');
    const refused = await count(metrics().deliveryResends, { reason: 'sent_check_login_refused' });
    const sent = await resume(message);
    assert.equal(receivedCopies(message), 1);
    assert.equal(sent.delivery?.attempts, 2);
    assert.equal(
      await count(metrics().deliveryResends, { reason: 'sent_check_login_refused' }),
      refused + 1,
    );
  });

  test(`an IMAP that answers UNAVAILABLE is asked ${SENT_CHECK_LIMIT} times on the mailbox backoff, then the reply is sent`, async () => {
    const message = await interruptedReply('unavailable');
    const failedBefore = await count(metrics().deliverySentChecks, { result: 'failed' });
    const gaveUp = await count(metrics().deliveryResends, { reason: 'sent_check_failed' });
    const sent = await resume(message);
    assert.equal(receivedCopies(message), 1);
    assert.equal(sent.delivery?.attempts, 2);
    assert.equal(sent.delivery?.last_error, null);
    assert.equal(
      await count(metrics().deliverySentChecks, { result: 'failed' }),
      failedBefore + SENT_CHECK_LIMIT,
    );
    assert.equal(
      await count(metrics().deliveryResends, { reason: 'sent_check_failed' }),
      gaveUp + 1,
    );
  });

  test('no folder marked \\Sent and none configured: sent again, the reason counted', async () => {
    const message = await interruptedReply('nofolder');
    const missing = await count(metrics().deliveryResends, {
      reason: 'sent_check_folder_missing',
    });
    await resume(message);
    assert.equal(receivedCopies(message), 1);
    assert.equal(
      await count(metrics().deliveryResends, { reason: 'sent_check_folder_missing' }),
      missing + 1,
    );
  });
});

describe('append_sent', () => {
  test('each sent reply gets one copy in the Sent folder', async () => {
    const replies: MessageRecord[] = [];
    for (let i = 0; i < 3; i += 1) {
      const open = await openCase(runtime, { mailbox: 'appender' });
      replies.push(await scheduleReply(runtime, open));
    }
    const sent = await Promise.all(replies.map((r) => waitForStatus(runtime, r._id, 'sent')));
    const inSent = await folderMessageIds(dovecot, users.appender ?? '', 'Sent');
    assert.deepEqual(inSent.sort(), sent.map((m) => m.email?.message_id ?? '').sort());
  });

  test('a crash after the 250: the receipt records it and files the missing copy, once', async () => {
    const user = users.recovering ?? '';
    const { redis } = runtime.context;
    const missing = await interruptedReply('recovering');
    const filed = await interruptedReply('recovering');
    // Both got their 250 (receipt written); only `filed` got its copy before the crash.
    for (const message of [missing, filed]) {
      await redis.set(
        `${runtime.prefix}:delivery:sent:${message._id}`,
        JSON.stringify({ sent_at: new Date().toISOString(), response: '250 OK' }),
      );
    }
    await fileAsServer('recovering', filed);
    const attemptsBefore = smtp.attempts;

    await resume(missing);
    await resume(filed);
    assert.equal(smtp.attempts, attemptsBefore, 'neither is sent again');
    const inSent = await folderMessageIds(dovecot, user, 'Sent');
    assert.deepEqual(
      inSent.sort(),
      [missing.email.message_id, filed.email.message_id].sort(),
      'one copy of each',
    );
  });

  test('a refused IMAP login never holds delivery: replies go out, the failure is counted, later APPENDs pause', async () => {
    const failed = await count(metrics().deliverySentCopies, { result: 'failed' });
    const paused = await count(metrics().deliverySentCopies, { result: 'paused' });
    const first = await scheduleReply(
      runtime,
      await openCase(runtime, { mailbox: 'appenddenied' }),
    );
    await waitForStatus(runtime, first._id, 'sent');
    const second = await scheduleReply(
      runtime,
      await openCase(runtime, { mailbox: 'appenddenied' }),
    );
    const sent = await waitForStatus(runtime, second._id, 'sent');
    assert.equal(sent.delivery?.attempts, 1);
    assert.equal(await count(metrics().deliverySentCopies, { result: 'failed' }), failed + 1);
    assert.equal(await count(metrics().deliverySentCopies, { result: 'paused' }), paused + 1);
  });
});
