// The agent role: consume `agent.run` jobs. Retries follow the model server's
// Retry-After when it gives one, else 1 s doubling to a 30 s cap with jitter.
import { DelayedError, UnrecoverableError } from 'bullmq';
import { redisPublisher } from '../realtime/events.ts';
import { startWorker, type WorkerHandle } from '../queues/queues.ts';
import type { RuntimeContext } from '../runtime/context.ts';
import {
  FinalRunError,
  RetryableRunError,
  runAgentAttempt,
  type RunAgentDeps,
} from './run-agent.ts';

// Drafts stream for seconds and mostly wait on the model: many at once per
// process is cheap (bench/agent: 8 made 50 simultaneous drafts queue for
// seconds); the per-conversation slot keeps each case to one stream.
const AGENT_CONCURRENCY = 32;
const RETRY_BASE_MS = 1_000;
const RETRY_CAP_MS = 30_000;

export function agentRetryDelay(
  attemptsMade: number,
  error: Error | undefined,
  random = Math.random,
): number {
  if (error instanceof RetryableRunError && error.retryAfterMs !== null) return error.retryAfterMs;
  const exponential = Math.min(RETRY_BASE_MS * 2 ** Math.max(attemptsMade - 1, 0), RETRY_CAP_MS);
  // ±20 % so runs failed together by one outage do not retry in lockstep.
  return Math.round(exponential * (0.8 + 0.4 * random()));
}

export function startAgentWorker(
  context: RuntimeContext,
  overrides: Partial<RunAgentDeps['options']> = {},
): WorkerHandle {
  const { env } = context;
  const deps: RunAgentDeps = {
    store: context.store,
    redis: context.redis,
    prefix: env.POSTROOM_QUEUE_PREFIX,
    publisher: redisPublisher(context.redis, env.POSTROOM_QUEUE_PREFIX),
    logger: context.logger,
    config: {
      env,
      bootstrap: context.bootstrap,
      secrets: context.secrets,
      guardedFetch: context.outbound.fetch,
    },
    options: {
      saveIntervalMs: 250,
      tokenBudget: 12_000,
      idleTimeoutMs: 30_000,
      ...overrides,
    },
  };
  return startWorker(
    'agent.run',
    async (payload, job, signal, token) => {
      const attempt = { number: job.attemptsMade + 1, max: job.opts.attempts ?? 1 };
      let result;
      try {
        result = await runAgentAttempt(deps, payload, attempt, signal);
      } catch (error) {
        // Already recorded as failed (draft rejected, alert posted): stop retrying.
        if (error instanceof FinalRunError) throw new UnrecoverableError(error.message);
        throw error;
      }
      if (result.kind === 'busy') {
        // Another draft streams in this conversation: wait for it without using an attempt.
        await job.moveToDelayed(Date.now() + 250 + Math.floor(Math.random() * 250), token);
        throw new DelayedError();
      }
      context.metrics.jobsCompleted.inc({ queue: 'agent.run', outcome: result.outcome });
    },
    {
      redisUrl: env.REDIS_URL,
      prefix: env.POSTROOM_QUEUE_PREFIX,
      logger: context.logger,
      concurrency: AGENT_CONCURRENCY,
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
          agentRetryDelay(attemptsMade, error),
      },
    },
  );
}
