// What Redis holds for a job, reduced to what the reconciler decides on.
import type { Queue } from 'bullmq';

/**
 * - pending: waiting, delayed or prioritized: it will run;
 * - active: a worker holds it (BullMQ's stalled-job check recovers it if that worker died);
 * - finished: completed or failed, yet MongoDB says the work is still to do;
 * - missing: no such job (lost with Redis data, or never enqueued).
 */
export type JobPresence = 'pending' | 'active' | 'finished' | 'missing';

export async function jobPresence(queue: Queue, jobId: string): Promise<JobPresence> {
  const state = await queue.getJobState(jobId);
  switch (state) {
    case 'waiting':
    case 'delayed':
    case 'prioritized':
    case 'waiting-children':
      return 'pending';
    case 'active':
      return 'active';
    case 'completed':
    case 'failed':
      return 'finished';
    case 'unknown':
      return 'missing';
    default:
      return assertNever(state);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected job state ${String(value)}`);
}
