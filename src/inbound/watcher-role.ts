// The watcher role: watch every configured mailbox (IMAP or drop folder),
// each by exactly one process at a time (a Redis lease per mailbox), and hand
// every message to the `mail.ingest` queue.
import { startMailboxWatcher } from '../mail/imap/mailbox-watcher.ts';
import type { BackoffSettings } from '../mail/imap/backoff.ts';
import { onCredentialsChanged } from '../credentials/changes.ts';
import {
  createMailboxCredentials,
  type MailboxCredentials,
} from '../credentials/mailbox-credentials.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import type { WatcherSink, WatcherStatus } from '../mail/imap/types.ts';
import type { Redis } from 'ioredis';
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import { changedMailboxes, type LiveConfig } from '../config/live-config.ts';
import { mailboxIdFor } from '../store/index.ts';
import type { Env } from '../config/env.ts';
import type { Logger } from '../platform/logger.ts';
import { IMAP_STATES, mailboxLabel, type Metrics } from '../platform/metrics.ts';
import type { Stoppable } from '../platform/stoppable.ts';
import { INLINE_RAW_LIMIT_BYTES, type JobPayload } from '../queues/catalog.ts';
import type { Queues } from '../queues/queues.ts';
import type { MailboxRecord, Store } from '../store/index.ts';
import { emitWebhookEvent } from '../webhooks/emit.ts';
import { startDropFolderWatcher } from './drop-folder-watcher.ts';
import { tooLargeReason } from './ingest/mail-size.ts';
import { WatcherSupervisor, type SupervisedWatcher } from './watcher-supervisor.ts';

export interface WatcherRoleOptions {
  /** Lease timing (tests shorten it); defaults in mailbox-lease.ts. */
  leaseTtlMs?: number;
  reconcileIntervalMs?: number;
  dropPollIntervalMs?: number;
  /** Login backoff and breaker timing (tests shorten it); defaults in mail/imap/backoff.ts. */
  backoff?: Partial<BackoffSettings>;
  /** Refresh OAuth2 access tokens this long before they expire (default 5 min). */
  tokenSkewMs?: number;
}

/** A mailbox could not log in (refused password, or a refused OAuth2 refresh token). */
interface MailboxAuthFailure {
  account_id: string;
  mailbox_id: string;
  reason: string;
  failed_at: Date;
}

/** What the watcher role takes from the process (runtime/roles.ts passes its context). */
export interface WatcherRoleDeps {
  env: Pick<Env, 'POSTROOM_QUEUE_PREFIX' | 'POSTROOM_MAX_MAIL_BYTES'>;
  bootstrap: Bootstrap;
  store: Store;
  queues: Queues;
  redis: Redis;
  logger: Logger;
  /** Opens API-given passwords and OAuth2 tokens kept in MongoDB. */
  secrets: SecretBox;
  /**
   * The hook point for `mailbox.auth_failed` (webhooks): called once when a
   * mailbox starts failing to log in, after the alert is logged.
   */
  onAuthFailed?: (failure: MailboxAuthFailure) => void;
  /** The config after SIGHUP reloads; without it, `bootstrap` as it is. */
  liveConfig?: LiveConfig;
  /** Credentials shared with the rest of the process; made here when absent. */
  credentials?: MailboxCredentials;
  metrics: Pick<Metrics, 'imapState' | 'imapAuthFailures' | 'mailboxAuthFailures'>;
}

function recordImapStatus(
  metrics: WatcherRoleDeps['metrics'],
  mailbox: string,
  status: WatcherStatus,
): void {
  for (const state of IMAP_STATES)
    metrics.imapState.set({ mailbox, state }, state === status ? 1 : 0);
  if (status === 'auth_failed') metrics.imapAuthFailures.inc({ mailbox });
}

export async function startWatcherRole(
  context: WatcherRoleDeps,
  options: WatcherRoleOptions = {},
): Promise<Stoppable[]> {
  const { store, logger, queues, env } = context;
  const maxMailBytes = env.POSTROOM_MAX_MAIL_BYTES;
  const mailboxes = await store.mailboxes.listAll();
  if (mailboxes.length === 0) {
    logger.warn('no mailboxes are configured: the watcher role has nothing to watch');
    return [];
  }

  // Message sources over the limit go to GridFS first: big mail never sits in Redis.
  async function rawFor(
    mailbox: MailboxRecord,
    source: Buffer,
    label: string,
  ): Promise<JobPayload<'mail.ingest'>['raw']> {
    if (source.length <= INLINE_RAW_LIMIT_BYTES)
      return { kind: 'inline', base64: source.toString('base64') };
    const file = await store.files.put(`${label}.eml`, source, {
      account_id: mailbox.account_id,
      purpose: 'raw_source',
      content_type: 'message/rfc822',
      mailbox_id: mailbox.key,
    });
    return { kind: 'gridfs', file_id: file.id, size: file.size_bytes };
  }

  function imapSink(mailbox: MailboxRecord): WatcherSink {
    return {
      async loadSyncState() {
        const current = await store.mailboxes.getByKey(mailbox.account_id, mailbox.key);
        return {
          uidvalidity: current?.sync.uidvalidity ?? null,
          last_uid: current?.sync.last_uid ?? 0,
        };
      },
      async saveSyncState(state) {
        await store.mailboxes.updateSync(mailbox.account_id, mailbox.key, {
          ...state,
          last_sync_at: new Date(),
        });
      },
      async setStatus(status, error) {
        recordImapStatus(context.metrics, mailboxLabel(mailbox.account_id, mailbox.key), status);
        await store.mailboxes.updateSync(mailbox.account_id, mailbox.key, {
          status,
          last_error: error ?? null,
        });
        // The watcher reports a status once per change: one event per time it stops logging in.
        if (status === 'auth_failed') {
          await emitWebhookEvent({ store }, mailbox.account_id, 'mailbox.auth_failed', {
            mailbox_id: mailbox.key,
            address: mailbox.address,
            error: error ?? null,
          });
        }
      },
      async deliver(message) {
        await queues.enqueue('mail.ingest', {
          account_id: mailbox.account_id,
          mailbox_id: mailbox.key,
          source: { kind: 'imap', uidvalidity: message.uidvalidity, uid: message.uid },
          ...(message.internal_date ? { arrived_at: message.internal_date.toISOString() } : {}),
          raw: await rawFor(
            mailbox,
            message.source,
            `${mailbox.key}-${message.uidvalidity}-${message.uid}`,
          ),
        });
      },
      async skipped(message) {
        await store.inbound.recordFailure({
          account_id: mailbox.account_id,
          mailbox_id: mailbox.key,
          job_id: `skipped-${mailbox._id}-${message.uidvalidity}-${message.uid}`,
          source: { kind: 'imap', uidvalidity: message.uidvalidity, uid: message.uid, name: null },
          raw_source_id: null,
          reason: `not fetched, left on the IMAP server: ${tooLargeReason(message.size, maxMailBytes)}`,
          attempts: 0,
          failed_at: new Date(),
        });
      },
    };
  }

  function currentConfig(): Bootstrap {
    return context.liveConfig?.current ?? context.bootstrap;
  }

  const credentials =
    context.credentials ??
    createMailboxCredentials({
      store,
      redis: context.redis,
      prefix: env.POSTROOM_QUEUE_PREFIX,
      secrets: context.secrets,
      logger,
      bootstrap: currentConfig,
      skewMs: options.tokenSkewMs,
    });

  function breakerListener(mailbox: MailboxRecord, log: Logger) {
    const label = `${mailbox.account_id}/${mailbox.key}`;
    context.metrics?.mailboxAuthFailures.set({ mailbox: label }, 0);
    return (breaker: { state: 'closed' | 'open'; failures: number; retry_at: Date | null }) => {
      context.metrics?.mailboxAuthFailures.set({ mailbox: label }, breaker.failures);
      store.mailboxes
        .updateSync(mailbox.account_id, mailbox.key, {
          breaker: breaker.state,
          auth_failures: breaker.failures,
          retry_at: breaker.retry_at,
        })
        .catch((error: unknown) => log.warn({ err: error }, 'could not record the login breaker'));
    };
  }

  function authFailed(mailbox: MailboxRecord, log: Logger) {
    return (reason: string) => {
      log.error(
        { alert: 'mailbox_auth_failed', reason },
        'ALERT: the mailbox cannot log in; fix its credentials (PATCH /v1/admin/mailboxes/{id} or the config and SIGHUP)',
      );
      context.onAuthFailed?.({
        account_id: mailbox.account_id,
        mailbox_id: mailbox.key,
        reason,
        failed_at: new Date(),
      });
    };
  }

  function imapConfig(mailbox: MailboxRecord) {
    return currentConfig()
      .accounts.find((account) => account.id === mailbox.account_id)
      ?.mailboxes.find((m) => m.id === mailbox.key)?.imap;
  }

  function createWatcher(mailbox: MailboxRecord): SupervisedWatcher {
    const log = logger.child({ mailbox: mailbox.key, account: mailbox.account_id });
    if (mailbox.kind === 'imap' && mailbox.imap) {
      const label = mailboxLabel(mailbox.account_id, mailbox.key);
      const watcher = startMailboxWatcher({
        mailboxId: mailbox._id,
        imap: {
          ...mailbox.imap,
          require_tls: imapConfig(mailbox)?.require_tls === true,
          // Placeholder until login() answers: every connection asks it first.
          auth: { user: mailbox.imap.user, pass: '' },
        },
        login: (rejected) => credentials.imapAuth(mailbox, { rejected }),
        onAuthFailed: authFailed(mailbox, log),
        onBreaker: breakerListener(mailbox, log),
        backoff: options.backoff,
        sink: imapSink(mailbox),
        logger: log,
        reconcileIntervalMs: options.reconcileIntervalMs,
        // Sizes come from FETCH RFC822.SIZE: a mail over the limit is never downloaded.
        maxMessageBytes: maxMailBytes,
        stopTimeoutMs: 3_000,
      });
      return {
        async stop() {
          await watcher.stop();
          // Not watched here any more: its state is the new holder's to report.
          for (const state of IMAP_STATES)
            context.metrics.imapState.remove({ mailbox: label, state });
        },
      };
    }
    if (mailbox.drop_folder) {
      const folder = mailbox.drop_folder;
      const started = startDropFolderWatcher({
        mailboxId: mailbox._id,
        folder,
        logger: log,
        pollIntervalMs: options.dropPollIntervalMs,
        maxFileBytes: maxMailBytes,
        refused: (file, reason) =>
          store.inbound.recordFailure({
            account_id: mailbox.account_id,
            mailbox_id: mailbox.key,
            job_id: `refused-${mailbox._id}-file-${file.name}`,
            source: { kind: 'file', uidvalidity: null, uid: null, name: file.name },
            raw_source_id: null,
            reason,
            attempts: 0,
            failed_at: new Date(),
          }),
        deliver: (file) =>
          queues
            .enqueue('mail.ingest', {
              account_id: mailbox.account_id,
              mailbox_id: mailbox.key,
              source: { kind: 'file', name: file.name, sha256: file.sha256 },
              raw: { kind: 'file' },
            })
            .then(() => undefined),
      });
      started.catch((error: unknown) => log.error({ err: error }, 'cannot watch the drop folder'));
      return { stop: async () => (await started.catch(() => null))?.stop() };
    }
    throw new Error(`mailbox ${mailbox.key} has neither IMAP settings nor a drop folder`);
  }

  const supervisor = new WatcherSupervisor<MailboxRecord & { id: string }>({
    redis: context.redis,
    prefix: env.POSTROOM_QUEUE_PREFIX,
    mailboxes: mailboxes.map((mailbox) => ({ ...mailbox, id: mailbox._id })),
    createWatcher,
    logger,
    ttlMs: options.leaseTtlMs,
  }).start();
  logger.info(
    { mailboxes: mailboxes.map((m) => `${m.account_id}/${m.key}`) },
    'watching mailboxes',
  );
  // New credentials (PATCH, SIGHUP): the process holding the mailbox reconnects it now.
  const stopListening = await onCredentialsChanged(
    context.redis,
    env.POSTROOM_QUEUE_PREFIX,
    logger,
    (mailboxId) => {
      credentials.forget(mailboxId);
      void supervisor.restart(mailboxId).then((restarted) => {
        if (restarted) logger.info({ mailbox_id: mailboxId }, 'reconnected with new credentials');
      });
    },
  );
  // SIGHUP: a mailbox whose settings changed reconnects with the stored record as now applied.
  const stopReloads = context.liveConfig?.onChange((next, previous) => {
    for (const [accountId, key] of changedMailboxes(next, previous)) {
      const mailboxId = mailboxIdFor(accountId, key);
      credentials.forget(mailboxId);
      void store.mailboxes
        .getByKey(accountId, key)
        .then((fresh) =>
          supervisor.restart(mailboxId, fresh ? { ...fresh, id: fresh._id } : undefined),
        )
        .then((restarted) => {
          if (restarted)
            logger.info({ mailbox_id: mailboxId }, 'reconnected with the reloaded config');
        })
        .catch((error: unknown) =>
          logger.error({ err: error, mailbox_id: mailboxId }, 'could not reconnect the mailbox'),
        );
    }
  });
  return [
    {
      name: 'watchers',
      stop: async () => {
        stopReloads?.();
        await stopListening();
        await supervisor.stop();
      },
    },
  ];
}
