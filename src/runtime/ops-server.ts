// Observability for every process: the scrape-time sources of the shared gauges
// (queue depths, approvals), the readiness checks, and, in a process without the
// api role, the small HTTP server for /metrics, /healthz and /readyz on
// POSTROOM_METRICS_PORT (with the api role they are on the API port).
import { buildOpsApp } from '../api/ops-app.ts';
import type { FailingMailbox, ReadinessChecks } from '../api/routes/health.ts';
import { QUEUE_DEPTH_STATES, mailboxLabel, type QueueDepths } from '../platform/metrics.ts';
import type { Stoppable } from '../platform/stoppable.ts';
import { QUEUE_NAMES } from '../queues/catalog.ts';
import { redisAnswers } from '../queues/redis.ts';
import type { RuntimeContext } from './context.ts';

export function readinessOf(context: RuntimeContext): {
  readiness: ReadinessChecks;
  failingMailboxes: () => Promise<FailingMailbox[]>;
} {
  return {
    readiness: {
      mongodb: () => context.store.ping(),
      redis: () => redisAnswers(context.redis),
    },
    // The watchers write each mailbox's state to MongoDB, so every process
    // (not only the one watching) can tell.
    failingMailboxes: async () =>
      (await context.store.mailboxes.listAll())
        .filter((m) => m.sync.status === 'auth_failed' || m.sync.status === 'error')
        .map((m) => ({ mailbox: mailboxLabel(m.account_id, m.key), status: m.sync.status })),
  };
}

/** Plugs the shared gauges' sources into the process's metrics. */
export function wireMetricSources(context: RuntimeContext): void {
  context.metrics.setQueueDepthSource(async () => {
    const depths: QueueDepths = {};
    await Promise.all(
      QUEUE_NAMES.map(async (name) => {
        const counts = await context.queues.queue(name).getJobCounts(...QUEUE_DEPTH_STATES);
        depths[name] = {
          waiting: counts.waiting ?? 0,
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed: counts.failed ?? 0,
        };
      }),
    );
    return depths;
  });
  // Two aggregations per scrape: only where the API runs, as the cases are its business.
  if (context.env.POSTROOM_ROLES.includes('api'))
    context.metrics.setApprovalSource(() => context.store.opsGauges.approvalGauges());
}

/** For a process without the api role: listen on POSTROOM_METRICS_PORT. */
export async function startOpsServer(context: RuntimeContext): Promise<Stoppable[]> {
  const { env, logger } = context;
  const app = buildOpsApp({ logger, metrics: context.metrics, ...readinessOf(context) });
  await app.listen({ host: env.HOST, port: env.POSTROOM_METRICS_PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.POSTROOM_METRICS_PORT;
  context.endpoints.metrics = `http://${env.HOST}:${port}`;
  logger.info({ port }, `metrics, health and readiness on ${context.endpoints.metrics}`);
  return [{ name: 'ops-http', stop: () => app.close() }];
}
