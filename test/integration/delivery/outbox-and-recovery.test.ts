// The outbox-folder variant, and recovery from a crash around the send: a
// receipt written after the server's 250 keeps a re-run from sending twice;
// attempts used by interrupted runs still count against max_attempts.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { scheduleDelivery } from '../../../src/delivery/schedule.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';
import {
  CUSTOMER,
  addresses,
  openCase,
  parseMail,
  scheduleReply,
  smtpMailbox,
  startDeliveryRuntime,
  stopRuntime,
  tempDir,
  timeline,
  waitForStatus,
  waitForWorkflow,
} from './helpers.ts';

let smtp: SmtpTestServer;
let runtime: TestRuntime;
const outbox = join(tempDir('outbox'), 'out');

before(async () => {
  smtp = await startSmtpTestServer();
  runtime = await startDeliveryRuntime([
    smtpMailbox(smtp),
    {
      id: 'files',
      address: 'help@acme.test',
      display_name: 'Acme Help',
      drop_folder: tempDir('drop'),
      // Does not exist yet: the writer creates it.
      outbox_folder: outbox,
    },
  ]);
});

after(async () => {
  await stopRuntime(runtime);
  await smtp.stop();
});

beforeEach(() => {
  smtp.reset();
  smtp.messages.length = 0;
});

describe('outbox folder delivery', () => {
  test('writes a parseable <message id>.eml atomically, and the reply counts as sent', async () => {
    const open = await openCase(runtime, { mailbox: 'files', title: 'Refund request' });
    const reply = await scheduleReply(runtime, open, { subject: 'Re: Refund request [#7]' });
    const sent = await waitForStatus(runtime, reply._id, 'sent');
    const messageId = sent.email?.message_id;
    assert.ok(messageId?.endsWith('@acme.test'));

    const files = await readdir(outbox);
    assert.deepEqual(files, [`${messageId}.eml`], 'one file, no temp file left');
    const raw = await readFile(join(outbox, `${messageId}.eml`));
    assert.match(raw.toString('latin1'), /\r\n\r\n/, 'CRLF line ends');
    const mail = await parseMail(raw);
    assert.equal(mail.messageId, `<${messageId}>`);
    assert.equal(mail.inReplyTo, `<${open.inbound.email?.message_id}>`);
    assert.equal(mail.subject, 'Re: Refund request [#7]');
    assert.deepEqual(addresses(mail.from), [{ name: 'Acme Help', address: 'help@acme.test' }]);
    assert.deepEqual(addresses(mail.to), [CUSTOMER]);
    assert.match(mail.text ?? '', /Your order ships tomorrow/);
    assert.match(String(mail.html), /<p>Hello Jane,<\/p>/);
    assert.equal(sent.delivery?.attempts, 1);
    await waitForWorkflow(runtime, open.conversation._id, 'waiting_external');
  });
});

describe('crash recovery', () => {
  test('a receipt left by a run that died after the server took the mail: recorded, not resent', async () => {
    const open = await openCase(runtime);
    const message = await runtime.context.store.messages.insert({
      account_id: 'acme',
      conversation_id: open.conversation._id,
      kind: 'agent',
      status: 'scheduled',
      visibility: 'external',
      channel: 'email',
      body: 'Sent before the crash',
      scheduled_at: new Date(),
      mailbox_id: 'support',
    });
    const sentAt = new Date(Date.now() - 60_000);
    await runtime.context.redis.set(
      `${runtime.prefix}:delivery:sent:${message._id}`,
      JSON.stringify({ sent_at: sentAt.toISOString(), response: '250 OK' }),
    );
    const attemptsBefore = smtp.attempts;
    await scheduleDelivery(runtime.context.queues, message);
    const sent = await waitForStatus(runtime, message._id, 'sent');
    assert.equal(smtp.attempts, attemptsBefore);
    assert.deepEqual(sent.delivery?.sent_at, sentAt);
    await waitForWorkflow(runtime, open.conversation._id, 'waiting_external');
  });

  test('attempts used up by interrupted runs: failed without another send', async () => {
    const open = await openCase(runtime);
    const message = await runtime.context.store.messages.insert({
      account_id: 'acme',
      conversation_id: open.conversation._id,
      kind: 'agent',
      status: 'scheduled',
      visibility: 'external',
      channel: 'email',
      body: 'Crashed four times',
      scheduled_at: new Date(),
      mailbox_id: 'support',
      // As four runs that died mid-send leave it (max_attempts is 4).
      delivery: {
        attempts: 4,
        last_error: null,
        next_attempt_at: null,
        sent_at: null,
        sending_at: new Date(Date.now() - 600_000),
      },
    });
    const interrupted = await runtime.context.store.delivery.listInterrupted(new Date());
    assert.ok(
      interrupted.some((m) => m._id === message._id),
      'the reconciler can find it',
    );
    const attemptsBefore = smtp.attempts;
    await scheduleDelivery(runtime.context.queues, message);
    const failed = await waitForStatus(runtime, message._id, 'failed');
    assert.equal(smtp.attempts, attemptsBefore);
    assert.equal(failed.delivery?.last_error?.code, 'interrupted');
    assert.equal(failed.delivery?.sending_at, null);
    // The alert follows the status change.
    const alert = await waitUntil(
      async () => (await timeline(runtime, open.conversation._id)).find((m) => m.kind === 'alert'),
      { what: 'the alert' },
    );
    assert.match(alert.body ?? '', /jane@customer\.test/);
  });
});
