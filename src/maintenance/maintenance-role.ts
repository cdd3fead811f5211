// The maintenance role: run reconciler passes, the first shortly after start
// (repairs what the last crash left before the next 30 s go by), then every
// interval. Passes never overlap within a process (the next is scheduled when
// one ends); across processes the pass lock takes turns.
import type { Redis } from 'ioredis';
import type { Env } from '../config/env.ts';
import type { Logger } from '../platform/logger.ts';
import type { Stoppable } from '../platform/stoppable.ts';
import type { Queues } from '../queues/queues.ts';
import type { Store } from '../store/index.ts';
import { createReconciler, type ReconcilerOptions } from './reconciler.ts';

export interface MaintenanceOptions {
  /** Between the end of a pass and the start of the next. Default 30 s. */
  intervalMs: number;
  /** Before the first pass, letting the other roles of a restarting process start. Default 5 s. */
  firstPassDelayMs: number;
  reconciler: Partial<ReconcilerOptions>;
}

const DEFAULTS: MaintenanceOptions = {
  intervalMs: 30_000,
  firstPassDelayMs: 5_000,
  reconciler: {},
};
// ±10 %: processes started together (a deploy) drift apart instead of
// contending for the pass lock at the same instant forever.
const JITTER = 0.1;

/** What the maintenance role takes from the process (runtime/roles.ts passes its context). */
export interface MaintenanceRoleDeps {
  env: Pick<Env, 'POSTROOM_QUEUE_PREFIX'>;
  store: Store;
  queues: Queues;
  redis: Redis;
  logger: Logger;
}

export function startMaintenanceRole(
  context: MaintenanceRoleDeps,
  overrides: Partial<MaintenanceOptions> = {},
): Stoppable[] {
  const options = { ...DEFAULTS, ...overrides };
  const { logger } = context;
  const reconciler = createReconciler(
    {
      store: context.store,
      queues: context.queues,
      redis: context.redis,
      prefix: context.env.POSTROOM_QUEUE_PREFIX,
      logger,
    },
    options.reconciler,
  );
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    const jittered = delayMs * (1 - JITTER + 2 * JITTER * Math.random());
    timer = setTimeout(() => {
      running = reconciler
        .runPass()
        .then(() => undefined)
        .catch((error: unknown) => logger.error({ err: error }, 'reconcile pass failed'))
        .finally(() => {
          running = undefined;
          schedule(options.intervalMs);
        });
    }, jittered);
    // The API and workers keep the process alive; a pending pass alone should not.
    timer.unref();
  };

  schedule(options.firstPassDelayMs);
  logger.info({ interval_ms: options.intervalMs }, 'reconciler started');

  const stop = async (): Promise<void> => {
    stopped = true;
    clearTimeout(timer);
    // A pass in flight finishes its current checks; each is safe to cut short anyway.
    await running;
  };
  return [{ name: 'maintenance', stop }];
}
