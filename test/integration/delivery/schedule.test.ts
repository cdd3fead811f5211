// When delivery happens: never before scheduled_at (however early a job
// runs), rescheduling and unscheduling the one job per message, and the
// messages delivery refuses or cancels without touching SMTP.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { scheduleDelivery, unscheduleDelivery } from '../../../src/delivery/schedule.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';
import {
  conversationOf,
  messageOf,
  openCase,
  parseMail,
  scheduleReply,
  smtpMailbox,
  startDeliveryRuntime,
  stopRuntime,
  timeline,
  waitForJobDone,
  waitForStatus,
  watchAttempts,
} from './helpers.ts';

let smtp: SmtpTestServer;
let runtime: TestRuntime;

before(async () => {
  smtp = await startSmtpTestServer();
  runtime = await startDeliveryRuntime([
    smtpMailbox(smtp),
    // A long backoff, so a test can act between two attempts.
    smtpMailbox(smtp, {
      id: 'slow',
      address: 'slow@acme.test',
      delivery: { max_attempts: 3, backoff_ms: 60_000, jitter: 0 },
    }),
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

const queue = () => runtime.context.queues.queue('message.deliver');
const later = (ms: number) => new Date(Date.now() + ms);

describe('scheduled delivery', () => {
  test('scheduled 3 s ahead: no SMTP attempt before scheduled_at, delivered after', async () => {
    const open = await openCase(runtime);
    const watch = watchAttempts(smtp);
    const scheduledAt = later(3_000);
    const reply = await scheduleReply(runtime, open, { scheduled_at: scheduledAt });
    assert.equal(await queue().getJobState(`deliver-${reply._id}`), 'delayed');
    const sent = await waitForStatus(runtime, reply._id, 'sent');
    // The server stamps MAIL FROM itself, on the clock the worker compares scheduled_at with.
    const [first] = watch.times;
    assert.ok(first, 'an attempt was seen');
    assert.ok(first >= scheduledAt.getTime(), `${first} vs ${scheduledAt.getTime()}`);
    assert.ok(smtp.messages[0]!.receivedAt >= scheduledAt);
    assert.ok(sent.delivery!.sent_at! >= scheduledAt);
    assert.equal(watch.times.length, 1);
  });

  test('an early job (a duplicate, or enqueued without delay) waits for scheduled_at', async () => {
    const open = await openCase(runtime);
    const watch = watchAttempts(smtp);
    // Far enough ahead that the re-delayed job is still waiting when the test looks at it.
    const scheduledAt = later(4_000);
    const message = await runtime.context.store.messages.insert({
      account_id: 'acme',
      conversation_id: open.conversation._id,
      kind: 'chat',
      status: 'scheduled',
      visibility: 'external',
      channel: 'email',
      body: 'Early?',
      scheduled_at: scheduledAt,
      mailbox_id: 'support',
    });
    const attemptsBefore = smtp.attempts;
    await runtime.context.queues.enqueue('message.deliver', {
      account_id: 'acme',
      message_id: message._id,
    });
    // The worker takes it at once and puts it back until scheduled_at.
    await waitUntil(
      async () => (await queue().getJobState(`deliver-${message._id}`)) === 'delayed',
      { what: 'the early job re-delayed' },
    );
    assert.equal(smtp.attempts, attemptsBefore);
    assert.equal((await messageOf(runtime, message._id)).delivery?.attempts ?? 0, 0);
    const sent = await waitForStatus(runtime, message._id, 'sent');
    assert.ok(smtp.messages[0]!.receivedAt >= scheduledAt);
    assert.equal(sent.delivery?.attempts, 1);
    assert.equal(watch.times.length, 1);
    assert.ok(watch.times[0]! >= scheduledAt.getTime(), 'the one attempt began at scheduled_at');
  });

  test('re-approval with a new time moves the one delayed job', async () => {
    const open = await openCase(runtime);
    const reply = await scheduleReply(runtime, open, { scheduled_at: later(60_000) });
    const job = await queue().getJob(`deliver-${reply._id}`);
    assert.ok(job && job.delay > 50_000);
    // Sooner: the same job now runs in about a second.
    const sooner = later(1_000);
    await setScheduledAt(reply._id, sooner);
    await scheduleDelivery(runtime.context.queues, { ...reply, scheduled_at: sooner });
    // Whatever state the moved job reached meanwhile (due in a second, it may already run),
    // the message has that one job and no other.
    const jobs = await queue().getJobs([
      'delayed',
      'waiting',
      'active',
      'completed',
      'prioritized',
    ]);
    assert.deepEqual(
      jobs.filter((j) => j.data.message_id === reply._id).map((j) => j.id),
      [`deliver-${reply._id}`],
      'still one job',
    );
    const sent = await waitForStatus(runtime, reply._id, 'sent', 10_000);
    assert.ok(sent.delivery!.sent_at! >= sooner);
  });

  test('re-approved during a retry backoff: sent at once, with the edits and the same Message-ID', async () => {
    smtp.failNext({ code: 451 });
    const open = await openCase(runtime, { mailbox: 'slow' });
    const reply = await scheduleReply(runtime, open, { mailbox_id: 'slow' });
    const waiting = await waitUntil(
      async () => {
        // The attempt is recorded before the worker hands the job back to
        // BullMQ, so both must be seen: the record and the delayed job.
        const m = await messageOf(runtime, reply._id);
        if (!m.delivery?.next_attempt_at) return null;
        const state = await queue().getJobState(`deliver-${reply._id}`);
        return state === 'delayed' ? m : null;
      },
      { what: 'the retry scheduled a minute ahead and its job delayed' },
    );
    // What the approval API does on re-approval: new content, due now.
    const now = new Date();
    await updateMessage(reply._id, {
      subject: 'Re: Your order, updated',
      body: 'Edited after the first attempt.',
      scheduled_at: now,
      'delivery.next_attempt_at': now,
    });
    await scheduleDelivery(runtime.context.queues, { ...reply, scheduled_at: now });
    const sent = await waitForStatus(runtime, reply._id, 'sent', 10_000);
    assert.equal(sent.delivery?.attempts, 2);
    assert.equal(sent.email?.message_id, waiting.email?.message_id);
    assert.equal(sent.email?.subject, 'Re: Your order, updated');
    const mail = await parseMail(smtp.messages[0]!.raw);
    assert.equal(mail.subject, 'Re: Your order, updated');
    assert.equal(mail.text?.trim(), 'Edited after the first attempt.');
    assert.equal(mail.messageId, `<${waiting.email?.message_id}>`);
  });

  test('unscheduling removes the delayed job; it is safe when there is none', async () => {
    const open = await openCase(runtime);
    const reply = await scheduleReply(runtime, open, { scheduled_at: later(60_000) });
    assert.equal(await queue().getJobState(`deliver-${reply._id}`), 'delayed');
    await unscheduleDelivery(runtime.context.queues, reply._id);
    assert.equal(await queue().getJob(`deliver-${reply._id}`), undefined);
    await unscheduleDelivery(runtime.context.queues, reply._id);
    await unscheduleDelivery(runtime.context.queues, 'msg_never_existed');
  });
});

describe('what delivery refuses or does without SMTP', () => {
  test('a scheduled in-conversation note is posted at its time with the next sequence', async () => {
    const open = await openCase(runtime, { workflow: 'new' });
    const attemptsBefore = smtp.attempts;
    const note = await scheduleReply(runtime, open, {
      kind: 'chat',
      visibility: 'internal',
      channel: 'message',
      body: 'Remember to check the warehouse',
      mailbox_id: null,
    });
    const sent = await waitForStatus(runtime, note._id, 'sent');
    // The conversation's last message and the case effects follow the status: wait for the run's end.
    await waitForJobDone(runtime, note._id);
    assert.equal(sent.sequence, 2);
    assert.equal(smtp.attempts, attemptsBefore);
    const conversation = await conversationOf(runtime, open.conversation._id);
    assert.equal(conversation.workflow_status, 'new', 'an internal note moves nothing');
    assert.equal(conversation.first_response_at, null);
    assert.equal(conversation.last_message_id, note._id);
  });

  test('an internal message on the email channel is never emailed', async () => {
    const open = await openCase(runtime);
    const attemptsBefore = smtp.attempts;
    const note = await scheduleReply(runtime, open, { visibility: 'internal' });
    const failed = await waitForStatus(runtime, note._id, 'failed');
    assert.equal(failed.delivery?.last_error?.code, 'not_deliverable');
    assert.equal(failed.delivery?.attempts, 0);
    assert.equal(smtp.attempts, attemptsBefore);
    assert.equal(failed.email, null);
  });

  test('a message of a redacted conversation is canceled, not sent', async () => {
    const open = await openCase(runtime);
    await runtime.context.store.conversations.markRedacted('acme', open.conversation._id);
    const attemptsBefore = smtp.attempts;
    const reply = await scheduleReply(runtime, open);
    const canceled = await waitForStatus(runtime, reply._id, 'canceled');
    assert.equal(canceled.cancel?.reason, 'redacted');
    assert.equal(smtp.attempts, attemptsBefore);
  });

  test('a message already canceled is left alone', async () => {
    const open = await openCase(runtime);
    const reply = await scheduleReply(runtime, open, { scheduled_at: later(500) });
    await runtime.context.store.delivery.cancel('acme', reply._id, 'human');
    const attemptsBefore = smtp.attempts;
    await waitUntil(
      async () => (await queue().getJobState(`deliver-${reply._id}`)) === 'completed',
      {
        what: 'the job ran',
      },
    );
    assert.equal(smtp.attempts, attemptsBefore);
    assert.equal((await messageOf(runtime, reply._id)).status, 'canceled');
    assert.equal((await timeline(runtime, open.conversation._id)).length, 1);
  });
});

/** As the approval API's re-approve with a new time: only scheduled_at changes. */
async function setScheduledAt(messageId: string, at: Date): Promise<void> {
  await updateMessage(messageId, { scheduled_at: at });
}

/** The approval API owns these writes, so the test makes them through its own connection. */
async function updateMessage(messageId: string, set: Record<string, unknown>): Promise<void> {
  const mongoose = (await import('mongoose')).default;
  const connection = await mongoose.createConnection(runtime.mongoUri).asPromise();
  try {
    await connection
      .collection<{ _id: string }>('chat_messages')
      .updateOne({ _id: messageId }, { $set: set });
  } finally {
    await connection.close();
  }
}
