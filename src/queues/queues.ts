// Typed producers and workers over the job catalog. Producers derive the job
// id from the payload, so enqueueing the same thing twice is one pending job;
// a finished job under that id is replaced (MongoDB, not Redis, says what is done).
import {
  DelayedError,
  Queue,
  Worker,
  type Job,
  type JobsOptions,
  type WorkerOptions,
} from 'bullmq';
import type { Redis } from 'ioredis';
import { hostname } from 'node:os';
import type { Logger } from '../platform/logger.ts';
import { JOBS, parsePayload, QUEUE_NAMES, type JobPayload, type QueueName } from './catalog.ts';
import { closeRedis, createRedis } from './redis.ts';

// Completed jobs are kept a day for inspection; failed ones a week, so a job
// that kept failing stays visible with its reason (API and logs) for triage.
const RETENTION: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

interface EnqueueOptions {
  delayMs?: number;
  /** Overrides the catalog's attempts (e.g. a mailbox's delivery policy). */
  attempts?: number;
}

export interface Queues {
  prefix: string;
  enqueue<Q extends QueueName>(
    queue: Q,
    payload: JobPayload<Q>,
    options?: EnqueueOptions,
  ): Promise<string>;
  queue(name: QueueName): Queue;
  close(): Promise<void>;
}

export function createQueues(redisUrl: string, prefix: string, logger: Logger): Queues {
  const connection = createRedis(redisUrl, 'producer', logger.child({ component: 'queues' }));
  const queues = new Map<QueueName, Queue>();
  for (const name of QUEUE_NAMES) {
    const queue = new Queue(name, { connection, prefix });
    // Without a listener an 'error' event would crash the process; the
    // connection logs its own errors, and enqueue calls reject on their own.
    queue.on('error', () => undefined);
    queues.set(name, queue);
  }

  const get = (name: QueueName): Queue => {
    const queue = queues.get(name);
    if (!queue) throw new Error(`unknown queue ${name}`);
    return queue;
  };

  return {
    prefix,
    queue: get,
    async enqueue(name, payload, options = {}) {
      const spec = JOBS[name];
      const data = parsePayload(name, payload);
      // Each catalog entry's id() takes its own payload type; the union is checked above.
      const jobId = (spec.id as (p: typeof data) => string)(data);
      const queue = get(name);
      // Callers enqueue because MongoDB says the work is still to do. A job
      // that finished under the same id (kept for inspection, or left from
      // before a restore, an in-memory restart or a swapped MongoDB) would
      // make add() a silent no-op: it is replaced, never taken as the work done.
      const state = await queue.getJobState(jobId);
      if (state === 'completed' || state === 'failed') await queue.remove(jobId);
      await queue.add(name, data, {
        jobId,
        attempts: options.attempts ?? spec.attempts,
        backoff: spec.backoff,
        delay: options.delayMs && options.delayMs > 0 ? Math.ceil(options.delayMs) : undefined,
        ...RETENTION,
      });
      return jobId;
    },
    async close() {
      // The queues share one connection, which BullMQ leaves to us to close. A
      // queue still initializing (its version check) when it closes has already
      // dropped its error listeners, and the failed check would then surface as
      // an unhandled rejection: so close the connection first, let every queue
      // settle its initialization while our listener still hears its error,
      // and only then close them.
      await closeRedis(connection);
      await Promise.allSettled([...queues.values()].map((queue) => queue.waitUntilReady()));
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}

export type JobHandler<Q extends QueueName> = (
  payload: JobPayload<Q>,
  job: Job,
  signal: AbortSignal,
  /** The worker's lock token, for job.moveToDelayed(). */
  token: string | undefined,
) => Promise<void>;

export interface WorkerHandle {
  name: QueueName;
  /** Stop taking jobs and wait (bounded) for the running ones. */
  close(graceMs: number): Promise<void>;
}

/**
 * Lock and stall-check timing for work that must resume quickly after a worker
 * dies: BullMQ renews locks every lockDuration/2 while the process lives, and
 * needs two stall checks after the lock expires to hand a dead worker's job on,
 * so a killed worker's jobs resume within about lockDuration + 2 × stalledInterval
 * (25 s here, against about 90 s with BullMQ's 30 s defaults).
 */
export const QUICK_RECOVERY = { lockDuration: 15_000, stalledInterval: 5_000 } as const;

/** `<host>:<pid>`, as a job's processedBy shows it: the process that took the job last. */
function workerName(): string {
  return `${hostname()}:${process.pid}`;
}

export function startWorker<Q extends QueueName>(
  name: Q,
  handler: JobHandler<Q>,
  options: {
    redisUrl: string;
    prefix: string;
    logger: Logger;
    concurrency: number;
    /** Called once when a job has used its last attempt, to leave a visible trace. */
    onFinalFailure?: (payload: JobPayload<Q>, job: Job, error: Error) => Promise<void>;
  } & Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'settings'>,
): WorkerHandle {
  const logger = options.logger.child({ queue: name });
  const connection: Redis = createRedis(options.redisUrl, 'worker', logger);
  const controllers = new Set<AbortController>();
  const worker = new Worker(
    name,
    async (job: Job, token?: string) => {
      const controller = new AbortController();
      controllers.add(controller);
      try {
        const payload = parsePayload(name, job.data);
        await handler(payload, job, controller.signal, token);
      } finally {
        controllers.delete(controller);
      }
    },
    {
      connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      // Which process ran a job: BullMQ keeps it on the job (processedBy) and
      // names the worker's Redis connections after it (CLIENT LIST).
      name: workerName(),
      // Only options given: an explicit `undefined` would override BullMQ's
      // defaults and reach its Lua scripts as nil.
      ...(options.lockDuration !== undefined ? { lockDuration: options.lockDuration } : {}),
      ...(options.stalledInterval !== undefined
        ? { stalledInterval: options.stalledInterval }
        : {}),
      ...(options.settings !== undefined ? { settings: options.settings } : {}),
      autorun: true,
    },
  );
  worker.on('failed', (job, error) => {
    // Moved back to delayed on purpose (e.g. waiting for a free slot): not a failure.
    if (error instanceof DelayedError) return;
    // BullMQ increments attemptsMade when an attempt fails, not when it starts.
    // An UnrecoverableError (also how BullMQ fails a job that stalled too often, e.g. one
    // that crashed its worker twice) ends the job whatever attempts are left.
    const final =
      !job || job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError';
    logger[final ? 'error' : 'warn'](
      { err: error, jobId: job?.id, attempt: job?.attemptsMade },
      final ? 'job failed for good' : 'job attempt failed; will retry',
    );
    if (final && job && options.onFinalFailure) {
      const result = JOBS[name].payload.safeParse(job.data);
      if (!result.success) return; // A malformed payload has nothing to record against.
      options
        .onFinalFailure(result.data as JobPayload<Q>, job, error)
        .catch((hookError: unknown) =>
          logger.error({ err: hookError, jobId: job.id }, 'could not record a failed job'),
        );
    }
  });
  worker.on('error', (error) => logger.warn({ err: error }, 'worker error'));

  return {
    name,
    async close(graceMs) {
      const drained = worker.close();
      const timer = setTimeout(() => {
        // Past the grace period, tell handlers to abort; BullMQ will hand the
        // job to another worker once its lock expires, and handlers are idempotent.
        for (const controller of controllers) controller.abort(new Error('shutting down'));
      }, graceMs);
      try {
        await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, graceMs + 500))]);
      } finally {
        clearTimeout(timer);
        await closeRedis(connection);
      }
    },
  };
}
