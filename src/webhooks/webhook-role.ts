// The webhooks role: hand the outbox's pending deliveries to BullMQ
// (`webhook.deliver`, one job per delivery) and POST them, signed, to their
// endpoints. A failed attempt re-delays the same job (doubling from
// POSTROOM_WEBHOOK_BACKOFF_MS, capped at an hour) without using a BullMQ
// attempt; MongoDB counts attempts, and the last allowed one failing leaves
// the delivery `failed`, listed and replayable through the admin API.
import { DelayedError } from 'bullmq';
import type { Env } from '../config/env.ts';
import type { FetchLike } from '../platform/guarded-fetch.ts';
import type { Logger } from '../platform/logger.ts';
import { OutboundRefusedError } from '../platform/outbound-guard.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import type { Stoppable } from '../platform/stoppable.ts';
import type { JobPayload } from '../queues/catalog.ts';
import { startWorker, type Queues } from '../queues/queues.ts';
import type { Store, WebhookDeliveryRecord } from '../store/index.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './events.ts';

const BACKOFF_CAP_MS = 3_600_000;
// Receivers mostly answer at once; a few in flight per process keep one slow
// endpoint from holding up the others.
const CONCURRENCY = 10;
// A delivery handed to BullMQ that is still pending this long after may have
// lost its job (Redis restored, flushed): it is handed over again. Adding a
// job whose id still exists is a no-op, so a live one is not doubled.
const REQUEUE_AFTER_MS = 10 * 60_000;
const SCAN_BATCH = 200;

export interface WebhookRoleDeps {
  env: Pick<
    Env,
    | 'REDIS_URL'
    | 'POSTROOM_QUEUE_PREFIX'
    | 'POSTROOM_SHUTDOWN_GRACE_MS'
    | 'POSTROOM_WEBHOOK_TIMEOUT_MS'
    | 'POSTROOM_WEBHOOK_MAX_ATTEMPTS'
    | 'POSTROOM_WEBHOOK_BACKOFF_MS'
  >;
  store: Store;
  queues: Queues;
  outbound: { fetch: FetchLike };
  secrets: SecretBox;
  logger: Logger;
}

interface WebhookRoleOptions {
  /** How often the outbox is scanned for deliveries to hand to BullMQ. */
  pollIntervalMs?: number;
}

/** The delay after the n-th failed attempt of a round (1-based). */
function webhookRetryDelay(attempt: number, baseMs: number): number {
  return Math.min(BACKOFF_CAP_MS, baseMs * 2 ** Math.max(0, attempt - 1));
}

/** The body every endpoint receives: the same bytes are signed. */
function envelope(delivery: WebhookDeliveryRecord): string {
  return JSON.stringify({
    id: delivery.event_id,
    type: delivery.event_type,
    created_at: delivery.created_at.toISOString(),
    account_id: delivery.account_id,
    data: delivery.payload,
  });
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { message?: unknown } } | null)?.cause?.message;
  const message = (error as Error | null)?.message ?? String(error);
  return typeof cause === 'string' ? `${message}: ${cause}` : message;
}

export function startWebhookRole(
  context: WebhookRoleDeps,
  options: WebhookRoleOptions = {},
): Stoppable[] {
  const { env, store, queues, secrets } = context;
  const logger = context.logger.child({ component: 'webhooks' });
  const timeoutMs = env.POSTROOM_WEBHOOK_TIMEOUT_MS;
  const maxAttempts = env.POSTROOM_WEBHOOK_MAX_ATTEMPTS;

  async function attempt(
    payload: JobPayload<'webhook.deliver'>,
    signal: AbortSignal,
  ): Promise<{ retryAt: number } | null> {
    const delivery = await store.webhooks.getDelivery(payload.account_id, payload.delivery_id);
    if (!delivery || delivery.status !== 'pending') return null;
    const endpoint = await store.webhooks.getEndpoint(delivery.account_id, delivery.endpoint_id);
    if (!endpoint || !endpoint.enabled) {
      await store.webhooks.fail(
        delivery._id,
        endpoint ? 'the endpoint is disabled' : 'the endpoint was deleted',
      );
      return null;
    }
    const body = envelope(delivery);
    const timestamp = Math.floor(Date.now() / 1000);
    const started = Date.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let retryable = true;
    try {
      const response = await context.outbound.fetch(endpoint.url, {
        method: 'POST',
        // A redirect is an answer, not a new destination: a receiver gives its final URL.
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Postroom-Webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(
            secrets.open(endpoint.secret_sealed, endpoint._id),
            timestamp,
            body,
          ),
          [EVENT_ID_HEADER]: delivery.event_id,
          'Postroom-Event-Type': delivery.event_type,
          'Postroom-Delivery-Id': delivery._id,
        },
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      statusCode = response.status;
      // Only the status counts; the body is not read, so a chatty receiver costs nothing.
      await response.body?.cancel().catch(() => undefined);
      if (statusCode < 200 || statusCode >= 300) error = `the endpoint answered HTTP ${statusCode}`;
    } catch (failure) {
      // Shutting down is not the receiver's fault: the job runs again, no attempt counted.
      if (signal.aborted) throw failure;
      error = describeFailure(failure, timeoutMs);
      // The operator's outbound rules refuse the address: retrying cannot help until
      // they change, and a replay tries again then.
      if (failure instanceof OutboundRefusedError) retryable = false;
    }
    const round = delivery.round_attempts + 1;
    const status =
      error === null ? 'delivered' : retryable && round < maxAttempts ? 'pending' : 'failed';
    const recorded = await store.webhooks.recordAttempt(delivery._id, {
      at: new Date(started),
      status_code: statusCode,
      error,
      duration_ms: Date.now() - started,
      status,
    });
    const log = { delivery: delivery._id, event: delivery.event_id, status_code: statusCode };
    if (status === 'failed') logger.warn({ ...log, error }, 'webhook delivery failed for good');
    else if (status === 'pending')
      logger.info({ ...log, error }, 'webhook attempt failed; will retry');
    if (status !== 'pending' || !recorded) return null;
    return { retryAt: Date.now() + webhookRetryDelay(round, env.POSTROOM_WEBHOOK_BACKOFF_MS) };
  }

  const worker = startWorker(
    'webhook.deliver',
    async (payload, job, signal, token) => {
      const retry = await attempt(payload, signal);
      if (retry) {
        // Same job, later: not a BullMQ failure, no BullMQ attempt used.
        await job.moveToDelayed(retry.retryAt, token);
        throw new DelayedError();
      }
    },
    {
      redisUrl: env.REDIS_URL,
      prefix: env.POSTROOM_QUEUE_PREFIX,
      logger: context.logger,
      concurrency: CONCURRENCY,
      async onFinalFailure(payload, _job, error) {
        // The record stays pending: the outbox scan hands it over again later.
        logger.error(
          { err: error, delivery: payload.delivery_id },
          'webhook job gave up on infrastructure errors; the delivery stays pending',
        );
      },
    },
  );

  // The outbox scan: pending deliveries not yet (or long ago) handed to BullMQ.
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let scanning: Promise<void> = Promise.resolve();
  async function scan(): Promise<void> {
    for (;;) {
      const due = await store.webhooks.toQueue(new Date(Date.now() - REQUEUE_AFTER_MS), SCAN_BATCH);
      for (const delivery of due) {
        await queues.enqueue('webhook.deliver', {
          account_id: delivery.account_id,
          delivery_id: delivery._id,
        });
      }
      await store.webhooks.markQueued(due.map((d) => d._id));
      if (due.length < SCAN_BATCH || stopped) return;
    }
  }
  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      scanning = scan()
        .catch((error: unknown) => logger.warn({ err: error }, 'could not scan the webhook outbox'))
        .finally(schedule);
    }, pollIntervalMs);
  }
  schedule();

  return [
    {
      name: 'webhook-outbox',
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        await scanning;
      },
    },
    { name: 'webhook-worker', stop: () => worker.close(env.POSTROOM_SHUTDOWN_GRACE_MS) },
  ];
}
