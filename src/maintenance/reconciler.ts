// The reconciler: MongoDB is the source of truth, Redis only carries work.
// A pass compares the two and repairs what a crash or a Redis data loss left
// behind (reconcile-deliveries.ts, reconcile-agent-runs.ts). Safe in several
// processes at once: every fix is a conditional update or an enqueue under a
// deterministic job id; the pass lock only saves duplicated effort.
import type { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.ts';
import type { Queues } from '../queues/queues.ts';
import { redisPublisher } from '../realtime/events.ts';
import { webhookPublisher } from '../webhooks/emit.ts';
import type { Store } from '../store/index.ts';
import { takePassLock } from './pass-lock.ts';
import {
  DEFAULT_RECONCILE_OPTIONS,
  type PassContext,
  type ReconcileOptions,
} from './pass-context.ts';
import { reconcileAgentRuns, type AgentRunCounts } from './reconcile-agent-runs.ts';
import { reconcileDeliveries, type DeliveryCounts } from './reconcile-deliveries.ts';

export interface ReconcilerDeps {
  store: Store;
  queues: Queues;
  /** For the pass lock and realtime events. */
  redis: Redis;
  /** POSTROOM_QUEUE_PREFIX: the lock key and realtime channels live under it. */
  prefix: string;
  logger: Logger;
  now?: () => Date;
}

export interface ReconcilerOptions extends ReconcileOptions {
  /** Take the cross-process pass lock (default true). */
  lock: boolean;
  /** The lock's TTL, renewed while a pass runs. Default 60 s. */
  lockTtlMs: number;
}

export interface ReconcileReport {
  /** False when another process held the pass lock: nothing was checked. */
  ran: boolean;
  deliveries: DeliveryCounts;
  agent_runs: AgentRunCounts;
  /** Documents whose check threw (logged; retried next pass). */
  errors: number;
  duration_ms: number;
}

export interface Reconciler {
  runPass(): Promise<ReconcileReport>;
}

export function createReconciler(
  deps: ReconcilerDeps,
  options: Partial<ReconcilerOptions> = {},
): Reconciler {
  const settings: ReconcilerOptions = {
    ...DEFAULT_RECONCILE_OPTIONS,
    lock: true,
    lockTtlMs: 60_000,
    ...options,
  };
  const log = deps.logger.child({ component: 'reconciler' });
  const publisher = webhookPublisher(redisPublisher(deps.redis, deps.prefix), {
    store: deps.store,
  });
  const lockKey = `${deps.prefix}:maintenance:reconcile-lock`;

  return {
    async runPass() {
      const started = Date.now();
      const lock = settings.lock
        ? await takePassLock(deps.redis, lockKey, settings.lockTtlMs)
        : null;
      if (settings.lock && !lock) return emptyReport(false, started);
      let errors = 0;
      const pass: PassContext = {
        store: deps.store,
        queues: deps.queues,
        publisher,
        log,
        now: deps.now?.() ?? new Date(),
        options: settings,
        async guard(id, check) {
          try {
            return await check();
          } catch (error) {
            errors++;
            log.warn({ err: error, id }, 'reconcile check failed; retried next pass');
            return 'error' as const;
          }
        },
      };
      try {
        const deliveries = await reconcileDeliveries(pass);
        const agentRuns = await reconcileAgentRuns(pass);
        const report: ReconcileReport = {
          ran: true,
          deliveries,
          agent_runs: agentRuns,
          errors,
          duration_ms: Date.now() - started,
        };
        log.info(report, 'reconcile pass done');
        return report;
      } finally {
        await lock?.release();
      }
    },
  };
}

function emptyReport(ran: boolean, started: number): ReconcileReport {
  return {
    ran,
    deliveries: { checked: 0, enqueued: 0, interrupted: 0 },
    agent_runs: { checked: 0, enqueued: 0, failed: 0, drafts_ended: 0 },
    errors: 0,
    duration_ms: Date.now() - started,
  };
}
