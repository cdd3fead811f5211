// Prometheus metrics: process defaults, HTTP request timings, job and delivery
// counters. The registry is created per process (not the global one), so tests
// can build many apps. The HTTP side (hook and /metrics) is api/metrics-route.ts.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  jobsCompleted: Counter<'queue' | 'outcome'>;
  /** Looks in a Sent folder for an attempt whose outcome a crash lost: found | not_found | failed. */
  deliverySentChecks: Counter<'result'>;
  /** Attempts sent again although the one before may have gone out, by ResendReason. */
  deliveryResends: Counter<'reason'>;
  /** Copies of sent replies filed by Postroom (append_sent): appended | present | failed | paused. */
  deliverySentCopies: Counter<'result'>;
  /** What agent runs cost at their agents' pricing (bootstrap `pricing`), in the operator's currency. */
  agentSpend: Counter<'account' | 'agent'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'postroom_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'postroom_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    jobsCompleted: new Counter({
      name: 'postroom_jobs_total',
      help: 'Jobs finished by queue and outcome',
      labelNames: ['queue', 'outcome'],
      registers: [registry],
    }),
    deliverySentChecks: new Counter({
      name: 'postroom_delivery_sent_checks_total',
      help: 'Sent-folder searches for interrupted delivery attempts, by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    deliveryResends: new Counter({
      name: 'postroom_delivery_resends_total',
      help: 'Interrupted delivery attempts sent again, by why the earlier one could not be confirmed',
      labelNames: ['reason'],
      registers: [registry],
    }),
    deliverySentCopies: new Counter({
      name: 'postroom_delivery_sent_copies_total',
      help: 'Copies of sent replies appended to the Sent folder (append_sent), by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    agentSpend: new Counter({
      name: 'postroom_agent_spend_total',
      help: "Cost of completed agent runs at their agents' pricing, by account and agent",
      labelNames: ['account', 'agent'],
      registers: [registry],
    }),
  };
}
