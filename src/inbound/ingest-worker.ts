// The ingest role: consume `mail.ingest`, store each message, and settle its
// source (a drop-folder file moves to processed/ or failed/). A job that fails
// for good is recorded in MongoDB with its reason, so it is visible in the API.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Env } from '../config/env.ts';
import type { Logger } from '../platform/logger.ts';
import { mailboxLabel, type Metrics } from '../platform/metrics.ts';
import type { Stoppable } from '../platform/stoppable.ts';
import type { JobPayload } from '../queues/catalog.ts';
import { QUICK_RECOVERY, startWorker, type Queues } from '../queues/queues.ts';
import type { Store } from '../store/index.ts';
import { dispatchTriggers } from '../agents/dispatch.ts';
import { cancelScheduledOnCustomerReply } from '../approval/cancel-on-reply.ts';
import { redisPublisher } from '../realtime/events.ts';
import { conversationPayload, emitWebhookEvent, webhookPublisher } from '../webhooks/emit.ts';
import { markFailed, markProcessed } from './drop-folder.ts';
import { ingestEmail } from './ingest/ingest-email.ts';
import { failureSource } from './ingest/raw-source.ts';
import type { MessageRecord } from '../store/index.ts';
import { MailTooLargeError } from './ingest/mail-size.ts';

// Parsing is CPU-bound and mostly synchronous: a few jobs at once keep I/O
// (GridFS, MongoDB) overlapped without starving the event loop.
const INGEST_CONCURRENCY = 4;
// A reply is often ingested alongside its parent (a backlog at start-up, a quick
// follow-up): the watcher enqueues in arrival order, so the parent's job started no
// later than the reply's and is stored within a wait or two (a chain of replies waits
// link by link). A reply whose parent never comes (a thread begun outside Postroom)
// is stored after at most PARENT_WAITS waits.
const PARENT_WAIT_MS = 2_000;
const PARENT_WAITS = 2;

/** What the ingest role takes from the process (runtime/roles.ts passes its context). */
export interface IngestRoleDeps {
  env: Pick<
    Env,
    'REDIS_URL' | 'POSTROOM_QUEUE_PREFIX' | 'POSTROOM_MAX_MAIL_BYTES' | 'POSTROOM_SHUTDOWN_GRACE_MS'
  >;
  store: Store;
  queues: Queues;
  redis: Redis;
  logger: Logger;
  metrics: Pick<Metrics, 'jobsCompleted' | 'ingestLag'>;
}

export function startIngestWorker(context: IngestRoleDeps): Stoppable[] {
  const { store, logger, env } = context;

  async function dropFolderOf(payload: JobPayload<'mail.ingest'>): Promise<string | null> {
    if (payload.source.kind !== 'file') return null;
    const mailbox = await store.mailboxes.getByKey(payload.account_id, payload.mailbox_id);
    return mailbox?.drop_folder ?? null;
  }

  const worker = startWorker(
    'mail.ingest',
    async (payload, job: Job, _signal, token) => {
      const log = logger.child({ job: job.id });
      // attemptsStarted counts every start (waits and retries alike): the waits are bounded.
      const waitForParent = job.attemptsStarted <= PARENT_WAITS && token !== undefined;
      const outcome = await ingestEmail(
        {
          store,
          logger: log,
          maxMailBytes: env.POSTROOM_MAX_MAIL_BYTES,
          waitForParent,
          deferUnsettled: token !== undefined,
        },
        payload,
      ).catch((error: unknown) => {
        // Too large now is too large on every retry: failed at once, with the reason.
        if (error instanceof MailTooLargeError) throw new UnrecoverableError(error.message);
        throw error;
      });
      if (outcome.kind === 'deferred') {
        // Not an attempt: the job waits in BullMQ's delayed set and starts again.
        await job.moveToDelayed(Date.now() + PARENT_WAIT_MS, token);
        throw new DelayedError();
      }
      const publisher = webhookPublisher(redisPublisher(context.redis, env.POSTROOM_QUEUE_PREFIX), {
        store,
      });
      // Also for a duplicate: a replayed job finishes what a crashed one began
      // (run records and job ids are deterministic, so nothing runs twice).
      // Never for our own mail, nor for a copy of a message we sent.
      if (outcome.message && isCustomerMail(outcome.message)) {
        // A reply approved but not yet sent answers a conversation that has moved
        // on: cancel it (a mailbox option); it only touches replies approved
        // before this message was stored, so a replayed job is harmless.
        await cancelScheduledOnCustomerReply(
          { store, queues: context.queues, logger: log, publisher },
          outcome.message,
        );
        await dispatchTriggers(
          { store, queues: context.queues, logger: log },
          outcome.message,
          null,
          {
            replayed: outcome.kind === 'duplicate',
          },
        );
      }
      if (outcome.kind === 'stored' && outcome.new_conversation) {
        const opened = await store.conversations.get(
          outcome.message.account_id,
          outcome.conversation_id,
        );
        if (opened) {
          await emitWebhookEvent(
            { store },
            opened.account_id,
            'conversation.created',
            conversationPayload(opened),
            `conversation.created:${opened._id}`,
          );
        }
      }
      if (outcome.kind === 'stored' || outcome.kind === 'own') {
        await publisher.publish({
          type: 'message.created',
          conversation_id: outcome.message.conversation_id,
          message_id: outcome.message._id,
        });
        await publisher.publish({
          type: 'conversation.updated',
          conversation_id: outcome.message.conversation_id,
        });
      }
      const folder = await dropFolderOf(payload);
      if (folder && payload.source.kind === 'file')
        await markProcessed(folder, payload.source.name);
      context.metrics.jobsCompleted.inc({ queue: 'mail.ingest', outcome: outcome.kind });
      if (outcome.kind === 'stored') observeLag(context.metrics, payload, outcome.message);
    },
    {
      redisUrl: env.REDIS_URL,
      prefix: env.POSTROOM_QUEUE_PREFIX,
      logger,
      concurrency: INGEST_CONCURRENCY,
      // Mail mid-ingest in a killed process resumes in ~25 s (see QUICK_RECOVERY).
      ...QUICK_RECOVERY,
      async onFinalFailure(payload, job, error) {
        context.metrics.jobsCompleted.inc({ queue: 'mail.ingest', outcome: 'failed' });
        await store.inbound.recordFailure({
          account_id: payload.account_id,
          mailbox_id: payload.mailbox_id,
          job_id: String(job.id),
          kind: 'failed',
          source: failureSource(payload),
          raw_source_id: payload.raw.kind === 'gridfs' ? payload.raw.file_id : null,
          reason: error.message,
          attempts: job.attemptsMade,
          failed_at: new Date(),
        });
        const folder = await dropFolderOf(payload);
        if (folder && payload.source.kind === 'file') {
          await markFailed(
            folder,
            payload.source.name,
            `ingest failed after ${job.attemptsMade} attempts: ${error.message}`,
          );
        }
      },
    },
  );
  return [{ name: 'ingest-worker', stop: () => worker.close(env.POSTROOM_SHUTDOWN_GRACE_MS) }];
}

/** From the IMAP arrival, else the mail's own Date (a drop-folder file), to now. */
function observeLag(
  metrics: Pick<Metrics, 'ingestLag'>,
  payload: JobPayload<'mail.ingest'>,
  message: MessageRecord,
): void {
  const since = payload.arrived_at ? new Date(payload.arrived_at) : message.email?.date;
  if (!since || Number.isNaN(since.getTime())) return;
  metrics.ingestLag.observe(
    { mailbox: mailboxLabel(payload.account_id, payload.mailbox_id) },
    // A sender's clock ahead of ours gives a negative lag: counted as none.
    Math.max(0, (Date.now() - since.getTime()) / 1000),
  );
}

/** Mail a customer sent us (received, and not from one of our own addresses). */
function isCustomerMail(message: MessageRecord): boolean {
  return message.kind === 'email' && Boolean(message.raw_source_id) && !message.email?.from_self;
}
