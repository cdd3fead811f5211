// Outbound delivery over SMTP through the real runtime (delivery role only)
// against the SMTP test server: what the customer receives, and how transient
// and permanent failures end.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { scheduleDelivery } from '../../../src/delivery/schedule.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { freePort, waitUntil } from '../../support/wait.ts';
import {
  CUSTOMER,
  addresses,
  conversationOf,
  messageOf,
  openCase,
  parseMail,
  scheduleReply,
  smtpMailbox,
  startDeliveryRuntime,
  stopRuntime,
  tempDir,
  timeline,
  waitForJobDone,
  waitForStatus,
  waitForWorkflow,
  watchAttempts,
} from './helpers.ts';

let smtp: SmtpTestServer;
let runtime: TestRuntime;

before(async () => {
  smtp = await startSmtpTestServer();
  runtime = await startDeliveryRuntime([
    smtpMailbox(smtp),
    {
      id: 'dead',
      address: 'dead@acme.test',
      drop_folder: tempDir('dead'),
      // Nothing listens here: every connection is refused.
      smtp: { host: '127.0.0.1', port: await freePort() },
      delivery: { max_attempts: 2, backoff_ms: 100 },
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

describe('SMTP delivery', () => {
  test('a reply reaches the customer threaded, and the case waits on them', async () => {
    const open = await openCase(runtime);
    const attemptsBefore = smtp.attempts;
    const reply = await scheduleReply(runtime, open);

    const [received] = await smtp.waitForMessages(1);
    assert.ok(received);
    const sent = await waitForStatus(runtime, reply._id, 'sent');
    const mail = await parseMail(received.raw);

    // Headers: fixed Message-ID, threaded on the customer's mail, Re: subject.
    assert.ok(sent.email?.message_id, 'the Message-ID is stored');
    assert.match(sent.email.message_id, new RegExp(`^[0-9a-f]{16}\\.${reply._id}@acme\\.test$`));
    assert.equal(mail.messageId, `<${sent.email.message_id}>`);
    assert.equal(mail.inReplyTo, `<${open.inbound.email?.message_id}>`);
    assert.deepEqual([mail.references].flat(), [`<${open.inbound.email?.message_id}>`]);
    assert.equal(mail.subject, 'Re: Order 1234 is late');
    assert.deepEqual(addresses(mail.from), [
      { name: 'Acme Support', address: 'support@acme.test' },
    ]);
    assert.deepEqual(addresses(mail.to), [CUSTOMER]);
    assert.deepEqual(addresses(mail.replyTo), [
      { name: '', address: `support+${open.conversation.email_thread?.reply_token}@acme.test` },
    ]);
    assert.deepEqual(received.envelope, { from: 'support@acme.test', to: [CUSTOMER.address] });
    // The SMTP password came from the config, never from MongoDB.
    assert.equal(received.user, 'support@acme.test');

    // Body: the text, and an escaped HTML alternative with paragraphs.
    assert.equal(
      mail.text?.trim(),
      'Hello Jane,\n\nYour order ships tomorrow.\nSorry for the wait!',
    );
    assert.match(
      String(mail.html),
      /<p>Hello Jane,<\/p>\s*<p>Your order ships tomorrow\.<br>\s*Sorry for the wait!<\/p>/,
    );

    // The stored message: sent, in the timeline after the customer's mail.
    assert.equal(sent.sequence, (open.inbound.sequence ?? 0) + 1);
    assert.equal(sent.delivery?.attempts, 1);
    assert.equal(smtp.attempts - attemptsBefore, 1);
    assert.ok(sent.delivery?.sent_at instanceof Date);
    assert.equal(sent.delivery?.last_error, null);
    assert.equal(sent.delivery?.sending_at, null);
    assert.deepEqual(
      {
        subject: sent.email.subject,
        in_reply_to: sent.email.in_reply_to,
        references: sent.email.references,
        from: sent.email.from,
        to: sent.email.to,
      },
      {
        subject: 'Re: Order 1234 is late',
        in_reply_to: open.inbound.email?.message_id,
        references: [open.inbound.email?.message_id],
        from: { name: 'Acme Support', address: 'support@acme.test' },
        to: [CUSTOMER],
      },
    );

    const conversation = await waitForWorkflow(runtime, open.conversation._id, 'waiting_external');
    assert.ok(conversation.first_response_at instanceof Date);
    assert.equal(conversation.last_message_id, reply._id);
    assert.equal(conversation.last_sequence, sent.sequence);
  });

  test('the first response time is kept by later replies', async () => {
    const open = await openCase(runtime);
    await waitForStatus(runtime, (await scheduleReply(runtime, open))._id, 'sent');
    const { first_response_at: first } = await waitForWorkflow(
      runtime,
      open.conversation._id,
      'waiting_external',
    );
    assert.ok(first instanceof Date);
    const second = await waitForStatus(runtime, (await scheduleReply(runtime, open))._id, 'sent');
    // The first response is set after the status: look once the second reply's run is over.
    await waitForJobDone(runtime, second._id);
    const conversation = await conversationOf(runtime, open.conversation._id);
    assert.deepEqual(conversation.first_response_at, first);
    assert.equal(second.sequence, 3);
  });

  test('451 twice, then accepted: sent on the third attempt with the same Message-ID', async () => {
    smtp.failNext({ code: 451, count: 2 });
    const open = await openCase(runtime);
    const attemptsBefore = smtp.attempts;
    const reply = await scheduleReply(runtime, open);

    // Between two attempts: the error recorded and the next attempt due (the next attempt's
    // start clears next_attempt_at but keeps the error, so both are waited for).
    const retrying = await waitUntil(
      async () => {
        const m = await messageOf(runtime, reply._id);
        return m.delivery?.last_error && m.delivery.next_attempt_at ? m : null;
      },
      { what: 'a failure recorded with its retry scheduled' },
    );
    assert.equal(retrying.status, 'scheduled');
    assert.equal(retrying.delivery?.last_error?.code, '451');
    assert.ok(retrying.delivery?.next_attempt_at instanceof Date);

    const sent = await waitForStatus(runtime, reply._id, 'sent');
    assert.equal(sent.delivery?.attempts, 3);
    assert.equal(smtp.attempts - attemptsBefore, 3);
    assert.equal(sent.delivery?.last_error, null);
    assert.equal(sent.email?.message_id, retrying.email?.message_id);
    const [received] = await smtp.waitForMessages(1);
    assert.equal((await parseMail(received!.raw)).messageId, `<${sent.email?.message_id}>`);
    assert.equal(smtp.messages.length, 1);
  });

  test('a connection dropped mid-send is one attempt: nodemailer does not resend on its own', async () => {
    smtp.dropConnectionNext(1, 'data');
    const open = await openCase(runtime);
    const attemptsBefore = smtp.attempts;
    const reply = await scheduleReply(runtime, open);
    const sent = await waitForStatus(runtime, reply._id, 'sent');
    assert.equal(sent.delivery?.attempts, 2);
    assert.equal(smtp.attempts - attemptsBefore, 2);
    assert.equal(smtp.messages.length, 1);
  });

  test('550: failed after one attempt, an internal alert, the case back to the team', async () => {
    smtp.failNext({ code: 550, message: 'Mailbox unavailable' });
    const open = await openCase(runtime);
    const attemptsBefore = smtp.attempts;
    const reply = await scheduleReply(runtime, open);

    const failed = await waitForStatus(runtime, reply._id, 'failed');
    assert.equal(failed.delivery?.attempts, 1);
    assert.equal(smtp.attempts - attemptsBefore, 1);
    assert.equal(failed.delivery?.last_error?.code, '550');
    assert.match(failed.delivery?.last_error?.response ?? '', /^550 Mailbox unavailable/);
    assert.equal(failed.sequence, undefined);
    assert.equal(smtp.messages.length, 0);

    await assertAlerted(open.conversation._id, reply._id, [
      CUSTOMER.address,
      'SMTP 550',
      'Mailbox unavailable',
    ]);
    // The case moves just after the alert is posted.
    const conversation = await waitForWorkflow(runtime, open.conversation._id, 'waiting_internal');
    assert.equal(conversation.first_response_at, null);
  });

  test('421 every time: failed after max_attempts, the gaps between attempts growing', async () => {
    smtp.failAlways(421);
    const open = await openCase(runtime);
    const watch = watchAttempts(smtp);
    const reply = await scheduleReply(runtime, open);
    const failed = await waitForStatus(runtime, reply._id, 'failed');
    assert.equal(failed.delivery?.attempts, 4);
    assert.equal(failed.delivery?.last_error?.code, '421');
    // The job has ended: nothing can start a fifth attempt any more.
    await waitForJobDone(runtime, reply._id);
    const times = watch.times;
    assert.equal(times.length, 4, 'no fifth attempt');
    // Backoff 200 ms doubling ±20 %: an attempt cannot begin before the previous one's
    // failure plus its delay, so the gaps are at least 160, 320 and 640 ms. The time to
    // notice a failure and pick the job up again only adds to them (a lot, on a loaded
    // machine), so the gaps are held to these growing floors, not compared with each other.
    const gaps = times.slice(1).map((at, i) => at - times[i]!);
    gaps.forEach((gap, i) => {
      const floor = 200 * 2 ** i * 0.8;
      assert.ok(
        gap >= floor,
        `gap ${i + 1} is at least its backoff ${floor} ms: ${gaps.join(', ')}`,
      );
    });
    await assertAlerted(open.conversation._id, reply._id, ['SMTP 421', 'after 4 attempts']);
    await waitForWorkflow(runtime, open.conversation._id, 'waiting_internal');
  });

  test('a refused recipient (RCPT 550) fails the message', async () => {
    smtp.failNext({ code: 550, at: 'rcpt', message: 'No such user here' });
    const open = await openCase(runtime);
    const reply = await scheduleReply(runtime, open);
    const failed = await waitForStatus(runtime, reply._id, 'failed');
    assert.equal(failed.delivery?.attempts, 1);
    assert.equal(failed.delivery?.last_error?.code, '550');
    assert.match(failed.delivery?.last_error?.response ?? '', /No such user here/);
    assert.equal(smtp.messages.length, 0);
    await assertAlerted(open.conversation._id, reply._id, [CUSTOMER.address, 'No such user here']);
  });

  test('connection refused: transient until max_attempts, then failed', async () => {
    const open = await openCase(runtime, { mailbox: 'dead' });
    const reply = await scheduleReply(runtime, open);
    const failed = await waitForStatus(runtime, reply._id, 'failed');
    assert.equal(failed.delivery?.attempts, 2);
    assert.equal(failed.delivery?.last_error?.code, 'ECONNREFUSED');
    await assertAlerted(open.conversation._id, reply._id, ['ECONNREFUSED', 'after 2 attempts']);
  });

  test('a job run again for a sent message sends nothing', async () => {
    const open = await openCase(runtime);
    const reply = await scheduleReply(runtime, open);
    const sent = await waitForStatus(runtime, reply._id, 'sent');
    const attemptsBefore = smtp.attempts;
    const queue = runtime.context.queues.queue('message.deliver');
    const jobId = `deliver-${reply._id}`;
    const firstRun = await waitUntil(async () => (await queue.getJob(jobId))?.finishedOn, {
      what: 'the first run finished',
    });
    // The finished job is replaced and runs again (as a reconciler re-enqueue would).
    await scheduleDelivery(runtime.context.queues, reply);
    await waitUntil(async () => ((await queue.getJob(jobId))?.finishedOn ?? 0) > firstRun, {
      what: 'the second run finished',
    });
    assert.equal(smtp.attempts, attemptsBefore);
    assert.equal(smtp.messages.length, 1);
    assert.deepEqual(await messageOf(runtime, reply._id), sent);
  });
});

async function assertAlerted(conversationId: string, messageId: string, mentions: string[]) {
  // The alert and the workflow move follow the status change: wait for the last of them.
  await waitForWorkflow(runtime, conversationId, 'waiting_internal');
  const alerts = (await timeline(runtime, conversationId)).filter((m) => m.kind === 'alert');
  assert.equal(alerts.length, 1, 'one alert');
  const alert = alerts[0]!;
  assert.equal(alert.visibility, 'internal');
  assert.equal(alert.channel, 'message');
  assert.equal(alert.status, 'sent');
  assert.equal(alert.reply_to_id, messageId);
  assert.ok(typeof alert.sequence === 'number');
  for (const text of mentions) assert.ok(alert.body?.includes(text), `${alert.body} names ${text}`);
}
