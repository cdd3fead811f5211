// The agent role: consume `agent.run` jobs. Retries follow the model server's
// Retry-After when it gives one, else 1 s doubling to a 30 s cap with jitter.
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import type { Env } from '../config/env.ts';
import type { OperatorEnv } from '../config/operator-keys.ts';
import type { FetchLike } from '../platform/guarded-fetch.ts';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import type { Stoppable } from '../platform/stoppable.ts';
import { redisPublisher } from '../realtime/events.ts';
import { webhookPublisher } from '../webhooks/emit.ts';
import type { JobPayload } from '../queues/catalog.ts';
import { startWorker } from '../queues/queues.ts';
import type { Store } from '../store/index.ts';
import { knowledgeFor } from '../knowledge/setup.ts';
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

function agentRetryDelay(
  attemptsMade: number,
  error: Error | undefined,
  random = Math.random,
): number {
  if (error instanceof RetryableRunError && error.retryAfterMs !== null) return error.retryAfterMs;
  const exponential = Math.min(RETRY_BASE_MS * 2 ** Math.max(attemptsMade - 1, 0), RETRY_CAP_MS);
  // ±20 % so runs failed together by one outage do not retry in lockstep.
  return Math.round(exponential * (0.8 + 0.4 * random()));
}

/** The run's outcome; tokens and time to first token from its record once it completed. */
async function recordRun(
  context: AgentRoleDeps,
  payload: JobPayload<'agent.run'>,
  outcome: string,
): Promise<void> {
  const agent = payload.agent_id;
  context.metrics.agentRuns.inc({ agent, outcome });
  if (outcome !== 'completed') return;
  const run = await context.store.agentRuns.findByTrigger(
    payload.trigger_message_id,
    payload.agent_id,
    payload.generation ?? null,
  );
  if (!run) return;
  if (run.usage) {
    context.metrics.agentTokens.inc({ agent, kind: 'prompt' }, run.usage.prompt_tokens);
    context.metrics.agentTokens.inc({ agent, kind: 'completion' }, run.usage.completion_tokens);
  }
  const { started_at: started, first_token_at: first } = run.timings;
  if (started && first)
    context.metrics.agentTimeToFirstToken.observe(
      { agent },
      Math.max(0, (first.getTime() - started.getTime()) / 1000),
    );
}

/** What the agent role takes from the process (runtime/roles.ts passes its context). */
export interface AgentRoleDeps {
  env: OperatorEnv &
    Pick<Env, 'REDIS_URL' | 'POSTROOM_QUEUE_PREFIX' | 'POSTROOM_SHUTDOWN_GRACE_MS'>;
  bootstrap: Bootstrap;
  store: Store;
  redis: Redis;
  logger: Logger;
  metrics: Pick<
    Metrics,
    'jobsCompleted' | 'agentRuns' | 'agentTokens' | 'agentTimeToFirstToken' | 'agentSpend'
  >;
  secrets: SecretBox;
  outbound: { fetch: FetchLike };
}

export function startAgentWorker(
  context: AgentRoleDeps,
  overrides: Partial<RunAgentDeps['options']> = {},
): Stoppable[] {
  const { env } = context;
  const deps: RunAgentDeps = {
    store: context.store,
    redis: context.redis,
    prefix: env.POSTROOM_QUEUE_PREFIX,
    publisher: webhookPublisher(redisPublisher(context.redis, env.POSTROOM_QUEUE_PREFIX), {
      store: context.store,
    }),
    logger: context.logger,
    metrics: context.metrics,
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
      knowledge: knowledgeFor(context),
      ...overrides,
    },
  };
  const worker = startWorker(
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
      await recordRun(context, payload, result.outcome).catch((error: unknown) =>
        context.logger.warn({ err: error }, 'could not record the agent run metrics'),
      );
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
      // A run failed for good (its last attempt, or a final error) counts too.
      async onFinalFailure(payload) {
        context.metrics.jobsCompleted.inc({ queue: 'agent.run', outcome: 'failed' });
        await recordRun(context, payload, 'failed');
      },
    },
  );
  return [{ name: 'agent-worker', stop: () => worker.close(env.POSTROOM_SHUTDOWN_GRACE_MS) }];
}
