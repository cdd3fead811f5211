// Producers of `message.deliver` for the approval API and the reconciler.
// One job per message (id `deliver-<message id>`); these keep it pointed at
// the message's scheduled_at. The worker re-checks MongoDB on every run, so a
// job that runs early or for a message no longer scheduled does nothing harmful.
import { JOBS } from '../queues/catalog.ts';
import type { Queues } from '../queues/queues.ts';
import type { MessageRecord } from '../store/index.ts';

// getJob → state → act is not atomic; a job that changes state in between
// (promoted, finished) is looked at again. Three rounds outlast any such race.
const MAX_ROUNDS = 3;

function jobIdOf(messageId: string): string {
  return JOBS['message.deliver'].id({ account_id: '', message_id: messageId });
}

/**
 * Make sure the message's job runs at its scheduled_at (now when null or
 * past): enqueue it, change the delay of the delayed one (a re-approval with
 * a new time), or replace a finished one (the reconciler re-enqueueing a
 * message whose job gave up). A job waiting or running is left alone: the
 * worker waits for scheduled_at by itself.
 */
export async function scheduleDelivery(
  queues: Queues,
  message: Pick<MessageRecord, '_id' | 'account_id' | 'scheduled_at'>,
): Promise<'enqueued' | 'rescheduled' | 'left_running' | 'left_waiting'> {
  const payload = { account_id: message.account_id, message_id: message._id };
  const queue = queues.queue('message.deliver');
  const jobId = jobIdOf(message._id);
  const delayMs = () => Math.max(0, (message.scheduled_at?.getTime() ?? 0) - Date.now());
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const job = await queue.getJob(jobId);
    if (!job) {
      await queues.enqueue('message.deliver', payload, { delayMs: delayMs() });
      return 'enqueued';
    }
    const state = await job.getState();
    if (state === 'delayed') {
      try {
        // changeDelay counts from now, and fails if the job left `delayed` meanwhile.
        await job.changeDelay(delayMs());
        return 'rescheduled';
      } catch {
        continue;
      }
    }
    if (state === 'completed' || state === 'failed') {
      await queue.remove(jobId);
      continue;
    }
    // A running job re-reads MongoDB only if it has not decided yet (see retry.ts).
    return state === 'active' ? 'left_running' : 'left_waiting';
  }
  return 'left_waiting';
}

/** Remove the message's pending job (a cancel). Safe when there is none; a running job is left to find the message canceled. */
export async function unscheduleDelivery(queues: Queues, messageId: string): Promise<void> {
  await queues.queue('message.deliver').remove(jobIdOf(messageId));
}
