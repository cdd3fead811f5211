// The HTTP side of a process without the api role: /metrics, /healthz and
// /readyz only, on POSTROOM_METRICS_PORT (runtime/ops-server.ts listens).
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.ts';
import type { Metrics } from '../platform/metrics.ts';
import { registerMetrics } from './metrics-route.ts';
import {
  registerHealthRoutes,
  type FailingMailbox,
  type ReadinessChecks,
} from './routes/health.ts';

export interface OpsAppDeps {
  logger: Logger;
  metrics: Metrics;
  readiness: ReadinessChecks;
  failingMailboxes?: () => Promise<FailingMailbox[]>;
}

export function buildOpsApp(deps: OpsAppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'ops-http' }) as FastifyBaseLogger,
    // Scrapes and probes every few seconds would drown the log.
    disableRequestLogging: true,
    forceCloseConnections: 'idle',
  });
  registerMetrics(app, deps.metrics);
  registerHealthRoutes(app, deps.readiness, deps.failingMailboxes);
  return app;
}
