// Scheduled messages whose delivery job Redis no longer holds: lost with
// Redis data, never enqueued (the process died between the MongoDB write and
// the enqueue), or finished while MongoDB still says scheduled (a worker died
// after sending but before recording it, or mid-send). Each is handed to
// delivery again; the job id is the message id, so two reconcilers doing it
// at once make one job, and the worker settles an interrupted attempt first
// (its receipt, else the mailbox's Sent folder: delivery/prior-attempt.ts)
// and only then sends again, with the Message-ID fixed at the first attempt.
import { JOBS } from '../queues/catalog.ts';
import { scheduleDelivery } from '../delivery/schedule.ts';
import type { MessageRecord } from '../store/index.ts';
import { jobPresence } from './job-state.ts';
import type { PassContext } from './pass-context.ts';

export interface DeliveryCounts {
  checked: number;
  /** Jobs enqueued again for scheduled messages that had none. */
  enqueued: number;
  /** Of those, messages left mid-send by a crashed process. */
  interrupted: number;
}

export async function reconcileDeliveries(pass: PassContext): Promise<DeliveryCounts> {
  const counts: DeliveryCounts = { checked: 0, enqueued: 0, interrupted: 0 };
  const settledBefore = new Date(pass.now.getTime() - pass.options.settleMs);
  let after: string | null = null;
  for (;;) {
    const page: MessageRecord[] = await pass.store.reconcile.scheduledMessages(
      after,
      pass.options.batchSize,
      settledBefore,
    );
    if (page.length === 0) break;
    after = page[page.length - 1]?._id ?? null;
    counts.checked += page.length;
    const outcomes = await Promise.all(page.map((m) => pass.guard(m._id, () => check(pass, m))));
    for (const outcome of outcomes) {
      if (outcome === 'enqueued' || outcome === 'interrupted') counts.enqueued++;
      if (outcome === 'interrupted') counts.interrupted++;
    }
    if (page.length < pass.options.batchSize) break;
  }
  return counts;
}

async function check(
  pass: PassContext,
  message: MessageRecord,
): Promise<'ok' | 'enqueued' | 'interrupted'> {
  const queue = pass.queues.queue('message.deliver');
  const jobId = JOBS['message.deliver'].id({
    account_id: message.account_id,
    message_id: message._id,
  });
  const presence = await jobPresence(queue, jobId);
  if (presence === 'pending' || presence === 'active') return 'ok';

  // Read again after looking at Redis: act only on a message that did not move meanwhile.
  const fresh = await pass.store.messages.get(message.account_id, message._id);
  if (fresh?.status !== 'scheduled') return 'ok';
  if (fresh.updated_at.getTime() !== message.updated_at.getTime()) return 'ok';
  const sendingAt = fresh.delivery?.sending_at ?? null;
  // An attempt that began moments ago is about to record its outcome.
  if (sendingAt && sendingAt.getTime() > pass.now.getTime() - pass.options.interruptedAfterMs) {
    return 'ok';
  }
  // A finished job keeps its id until retention drops it: scheduleDelivery
  // replaces it (adding under that id alone would be a no-op).
  await scheduleDelivery(pass.queues, fresh);
  pass.log.info(
    { message: fresh._id, was: presence, sending_at: sendingAt },
    sendingAt ? 'resumed a delivery interrupted mid-send' : 're-enqueued a lost delivery job',
  );
  return sendingAt ? 'interrupted' : 'enqueued';
}
