// The delivery role: consume `message.deliver` jobs. One job per message
// (id `deliver-<message id>`) for its whole life: waiting for scheduled_at
// and backing off after a transient failure both move that same job back to
// delayed (no BullMQ attempt used), while MongoDB's delivery.attempts counts
// the SMTP attempts against the mailbox's max_attempts. BullMQ's own attempts
// (catalog) only retry infrastructure errors (MongoDB or Redis down mid-run).
import { DelayedError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import type { Env } from '../config/env.ts';
import { createSentFolders } from '../mail/imap/sent-folder.ts';
import { createOutbound } from '../mail/smtp/outbound.ts';
import { JOBS, type JobPayload } from '../queues/catalog.ts';
import { QUICK_RECOVERY, startWorker, type WorkerHandle } from '../queues/queues.ts';
import type { Logger } from '../platform/logger.ts';
import { mailboxLabel, type Metrics } from '../platform/metrics.ts';
import type { Stoppable } from '../platform/stoppable.ts';
import { redisPublisher } from '../realtime/events.ts';
import { webhookPublisher } from '../webhooks/emit.ts';
import type { Store } from '../store/index.ts';
import { INFRA_BACKOFF_CAP_MS, INFRA_BACKOFF_JITTER, retryDelay } from './backoff.ts';
import { deliverMessage } from './deliver-message.ts';
import type { DeliveryDeps, DeliveryOutcome } from './outcomes.ts';
import { redisReceipts } from './receipts.ts';
import { isLoopbackHost } from '../config/oauth2-providers.ts';
import { createMailboxCredentials } from '../credentials/mailbox-credentials.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import type { LiveConfig } from '../config/live-config.ts';

// Sends mostly wait on remote servers; each mailbox's pool (pool_size,
// default 5) bounds the connections, so a few more jobs than that per process
// keep pools busy without queueing many messages inside nodemailer.
const DELIVERY_CONCURRENCY = 10;
// 10 s connect + 10 s greeting + the transaction; a server still trickling
// replies after two minutes will not finish, and holds a pool connection.
const SEND_TIMEOUT_MS = 120_000;

/** What the delivery role takes from the process (runtime/roles.ts passes its context). */
export interface DeliveryRoleDeps {
  env: Pick<Env, 'REDIS_URL' | 'POSTROOM_QUEUE_PREFIX' | 'POSTROOM_SHUTDOWN_GRACE_MS'>;
  bootstrap: Bootstrap;
  store: Store;
  redis: Redis;
  logger: Logger;
  /** Opens API-given passwords and OAuth2 tokens kept in MongoDB. */
  secrets: SecretBox;
  liveConfig?: LiveConfig;
  metrics: DeliveryDeps['metrics'] &
    Pick<Metrics, 'jobsCompleted' | 'deliveryOutcomes' | 'deliveryAttempts'>;
}

interface DeliveryRoleOptions {
  concurrency?: number;
  sendTimeoutMs?: number;
}

/** Mail (and a login) to another machine without TLS: allowed, but said at start. */
function warnUnencryptedSmtp(bootstrap: Bootstrap, logger: Logger): void {
  for (const account of bootstrap.accounts) {
    for (const mailbox of account.mailboxes) {
      const smtp = mailbox.smtp;
      if (!smtp || smtp.secure || smtp.require_tls || isLoopbackHost(smtp.host)) continue;
      logger.warn(
        { mailbox: `${account.id}/${mailbox.id}`, host: smtp.host, port: smtp.port },
        'SMTP connection without TLS ("secure": false, no "require_tls") to another machine: replies cross the network readable',
      );
    }
  }
}

function startDeliveryWorker(
  context: DeliveryRoleDeps,
  options: DeliveryRoleOptions = {},
): { worker: WorkerHandle; closeOutbound: () => Promise<void> } {
  const { env } = context;
  const outbound = createOutbound();
  const logger = context.logger.child({ component: 'delivery' });
  warnUnencryptedSmtp(context.bootstrap, logger);
  const sentFolders = createSentFolders(logger.child({ component: 'sent-folder' }));
  const deps: DeliveryDeps = {
    store: context.store,
    outbound,
    sentFolders,
    metrics: context.metrics,
    receipts: redisReceipts(context.redis, env.POSTROOM_QUEUE_PREFIX),
    publisher: webhookPublisher(redisPublisher(context.redis, env.POSTROOM_QUEUE_PREFIX), {
      store: context.store,
    }),
    // Read at each use: a SIGHUP reload replaces it.
    get bootstrap() {
      return context.liveConfig?.current ?? context.bootstrap;
    },
    credentials: createMailboxCredentials({
      store: context.store,
      redis: context.redis,
      prefix: env.POSTROOM_QUEUE_PREFIX,
      secrets: context.secrets,
      logger,
      bootstrap: () => context.liveConfig?.current ?? context.bootstrap,
    }),
    logger,
    sendTimeoutMs: options.sendTimeoutMs ?? SEND_TIMEOUT_MS,
  };
  const infraBackoff = {
    baseMs: JOBS['message.deliver'].backoff.delay,
    maxMs: INFRA_BACKOFF_CAP_MS,
    jitter: INFRA_BACKOFF_JITTER,
  };
  const worker = startWorker(
    'message.deliver',
    async (payload, job, signal, token) => {
      const outcome = await deliverMessage(deps, payload, signal);
      context.metrics.jobsCompleted.inc({ queue: 'message.deliver', outcome: outcome.kind });
      await recordOutcome(context, payload, outcome).catch((error: unknown) =>
        logger.warn({ err: error }, 'could not record the delivery metrics'),
      );
      if (outcome.kind === 'wait' || outcome.kind === 'retry') {
        // Same job, later: not a failure, and no BullMQ attempt is used.
        await job.moveToDelayed(outcome.at.getTime(), token);
        throw new DelayedError();
      }
    },
    {
      redisUrl: env.REDIS_URL,
      prefix: env.POSTROOM_QUEUE_PREFIX,
      logger: context.logger,
      concurrency: options.concurrency ?? DELIVERY_CONCURRENCY,
      // A killed worker's sends resume in ~25 s instead of ~90 s (see QUICK_RECOVERY).
      ...QUICK_RECOVERY,
      settings: {
        backoffStrategy: (attemptsMade: number) => retryDelay(attemptsMade, infraBackoff),
      },
      async onFinalFailure(payload, _job, error) {
        // Nothing is lost: MongoDB still says `scheduled`, and scheduleDelivery()
        // (the reconciler's re-enqueue) replaces a failed job.
        logger.error(
          { err: error, message: payload.message_id },
          'delivery job gave up on infrastructure errors; the message stays scheduled',
        );
      },
    },
  );
  return {
    worker,
    closeOutbound: async () => {
      await Promise.all([outbound.close(), sentFolders.close()]);
    },
  };
}

/** Outcome per mailbox; the attempts a reply took once it ended sent or failed. */
async function recordOutcome(
  context: DeliveryRoleDeps,
  payload: JobPayload<'message.deliver'>,
  outcome: DeliveryOutcome,
): Promise<void> {
  // The payload names only the message: its mailbox is read back unless the outcome holds it.
  const message =
    outcome.kind === 'sent'
      ? outcome.message
      : await context.store.messages.get(payload.account_id, payload.message_id);
  const mailbox = mailboxLabel(payload.account_id, message?.mailbox_id);
  context.metrics.deliveryOutcomes.inc({ mailbox, outcome: outcome.kind });
  const attempts = message?.delivery?.attempts;
  if ((outcome.kind === 'sent' || outcome.kind === 'failed') && attempts)
    context.metrics.deliveryAttempts.observe({ mailbox, outcome: outcome.kind }, attempts);
}

/** Start the worker; on shutdown it drains first, then the SMTP pools and IMAP sessions close. */
export function startDeliveryRole(context: DeliveryRoleDeps): Stoppable[] {
  const { worker, closeOutbound } = startDeliveryWorker(context);
  return [
    { name: 'delivery-worker', stop: () => worker.close(context.env.POSTROOM_SHUTDOWN_GRACE_MS) },
    { name: 'delivery-smtp-pools', stop: closeOutbound },
  ];
}
