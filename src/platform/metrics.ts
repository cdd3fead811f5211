// Prometheus metrics: process defaults, HTTP request timings, job, mailbox,
// delivery and agent metrics. The registry is created per process (not the
// global one), so tests can build many apps. The HTTP side (hook and /metrics)
// is api/metrics-route.ts. Labels carry ids only (queue names, mailbox and agent
// ids), never addresses or text from mail, so their number stays bounded.
//
// Gauges that describe shared state (queue depths, approvals waiting) are read
// from Redis or MongoDB when scraped, through sources the runtime plugs in:
// every process reports the same values, so dashboards take max(), not sum().
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** BullMQ job states reported as queue depth. */
export const QUEUE_DEPTH_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type QueueDepths = Record<string, Record<(typeof QUEUE_DEPTH_STATES)[number], number>>;

/** The approval gauges, per mailbox id (null: a case with no mailbox). */
interface ApprovalState {
  account_id: string;
  mailbox_id: string | null;
  waiting: number;
  oldest_waiting_since: Date | null;
  approved: number;
}

/** The mailbox states a watcher reports (mail/imap WatcherStatus). */
export const IMAP_STATES = ['connecting', 'ok', 'auth_failed', 'error'] as const;

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
  /** The login circuit breaker per mailbox: refused logins in a row (0: closed). */
  mailboxAuthFailures: Gauge<'mailbox'>;
  /** Seconds from the IMAP arrival (or the mail's Date) to the stored message. */
  ingestLag: Histogram<'mailbox'>;
  /** 1 for the state each watched mailbox is in, 0 for the others. */
  imapState: Gauge<'mailbox' | 'state'>;
  imapAuthFailures: Counter<'mailbox'>;
  /** Every delivery job's outcome: sent, retry, failed, wait, canceled, skipped. */
  deliveryOutcomes: Counter<'mailbox' | 'outcome'>;
  /** SMTP attempts a reply took, observed when it ends sent or failed. */
  deliveryAttempts: Histogram<'mailbox' | 'outcome'>;
  /** Agent runs that ended: completed, canceled, skipped, failed (for good). */
  agentRuns: Counter<'agent' | 'outcome'>;
  agentTokens: Counter<'agent' | 'kind'>;
  agentTimeToFirstToken: Histogram<'agent'>;
  /** Plugs in where queue depths come from (the runtime's queues). */
  setQueueDepthSource(source: () => Promise<QueueDepths>): void;
  /** Plugs in where the approval gauges come from (the store). */
  setApprovalSource(source: () => Promise<ApprovalState[]>): void;
  /** What agent runs cost at their agents' pricing (bootstrap `pricing`), in the operator's currency. */
  agentSpend: Counter<'account' | 'agent'>;
}

/** A mailbox label: account and mailbox ids, never its address. */
export function mailboxLabel(accountId: string, mailboxId: string | null | undefined): string {
  return `${accountId}/${mailboxId ?? 'none'}`;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'postroom_' });
  let queueDepths: (() => Promise<QueueDepths>) | null = null;
  let approvals: (() => Promise<ApprovalState[]>) | null = null;
  // One read of the store serves the three approval gauges of a scrape.
  let approvalRead: { at: number; value: Promise<ApprovalState[]> } | null = null;
  const readApprovals = (): Promise<ApprovalState[]> => {
    if (!approvals) return Promise.resolve([]);
    const now = Date.now();
    if (!approvalRead || now - approvalRead.at > 1_000)
      approvalRead = { at: now, value: approvals().catch(() => []) };
    return approvalRead.value;
  };

  new Gauge({
    name: 'postroom_queue_jobs',
    help: 'Jobs in each queue by state (waiting, active, delayed, failed), read from Redis when scraped',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      if (!queueDepths) return;
      this.reset();
      // Redis down: the gauge is left empty rather than failing the whole scrape.
      const depths = await queueDepths().catch(() => ({}) as QueueDepths);
      for (const [queue, counts] of Object.entries(depths))
        for (const state of QUEUE_DEPTH_STATES) this.set({ queue, state }, counts[state]);
    },
  });
  new Gauge({
    name: 'postroom_approval_waiting_cases',
    help: 'Cases waiting for approval (needs_approval), per mailbox',
    labelNames: ['mailbox'],
    registers: [registry],
    async collect() {
      if (!approvals) return;
      this.reset();
      for (const row of await readApprovals()) this.set({ mailbox: labelOf(row) }, row.waiting);
    },
  });
  new Gauge({
    name: 'postroom_approval_oldest_waiting_seconds',
    help: 'Age of the oldest case waiting for approval, per mailbox',
    labelNames: ['mailbox'],
    registers: [registry],
    async collect() {
      if (!approvals) return;
      this.reset();
      const now = Date.now();
      for (const row of await readApprovals())
        if (row.oldest_waiting_since)
          this.set(
            { mailbox: labelOf(row) },
            Math.max(0, (now - row.oldest_waiting_since.getTime()) / 1000),
          );
    },
  });
  new Gauge({
    name: 'postroom_approvals_approved',
    help: 'Drafts approved so far, per mailbox (from MongoDB: the same in every process)',
    labelNames: ['mailbox'],
    registers: [registry],
    async collect() {
      if (!approvals) return;
      this.reset();
      for (const row of await readApprovals()) this.set({ mailbox: labelOf(row) }, row.approved);
    },
  });

  return {
    registry,
    setQueueDepthSource(source) {
      queueDepths = source;
    },
    setApprovalSource(source) {
      approvals = source;
    },
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
    mailboxAuthFailures: new Gauge({
      name: 'postroom_mailbox_auth_failures',
      help: 'Refused logins in a row per mailbox (IMAP or OAuth2 refresh); above 0 the login breaker is open',
      labelNames: ['mailbox'],
      registers: [registry],
    }),
    ingestLag: new Histogram({
      name: 'postroom_ingest_lag_seconds',
      help: 'From the IMAP arrival (or the mail Date header) to the message stored, per mailbox',
      labelNames: ['mailbox'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry],
    }),
    imapState: new Gauge({
      name: 'postroom_imap_connection_state',
      help: 'IMAP connection state of each mailbox this process watches (1 = current state)',
      labelNames: ['mailbox', 'state'],
      registers: [registry],
    }),
    imapAuthFailures: new Counter({
      name: 'postroom_imap_auth_failures_total',
      help: 'IMAP logins the server refused, per mailbox',
      labelNames: ['mailbox'],
      registers: [registry],
    }),
    deliveryOutcomes: new Counter({
      name: 'postroom_delivery_outcomes_total',
      help: 'Delivery job outcomes (sent, retry, failed, wait, canceled, skipped), per mailbox',
      labelNames: ['mailbox', 'outcome'],
      registers: [registry],
    }),
    deliveryAttempts: new Histogram({
      name: 'postroom_delivery_attempts',
      help: 'SMTP attempts a reply took, observed when it ended sent or failed',
      labelNames: ['mailbox', 'outcome'],
      buckets: [1, 2, 3, 4, 5, 7, 10],
      registers: [registry],
    }),
    agentRuns: new Counter({
      name: 'postroom_agent_runs_total',
      help: 'Agent runs that ended, by agent and outcome (completed, canceled, skipped, failed)',
      labelNames: ['agent', 'outcome'],
      registers: [registry],
    }),
    agentTokens: new Counter({
      name: 'postroom_agent_tokens_total',
      help: 'Model tokens used by completed agent runs, by agent and kind (prompt, completion)',
      labelNames: ['agent', 'kind'],
      registers: [registry],
    }),
    agentTimeToFirstToken: new Histogram({
      name: 'postroom_agent_time_to_first_token_seconds',
      help: 'From an agent run starting to its first streamed token',
      labelNames: ['agent'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30],
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

function labelOf(row: ApprovalState): string {
  return mailboxLabel(row.account_id, row.mailbox_id);
}
