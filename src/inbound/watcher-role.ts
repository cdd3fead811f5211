// The watcher role: watch every configured mailbox (IMAP or drop folder),
// each by exactly one process at a time (a Redis lease per mailbox), and hand
// every message to the `mail.ingest` queue.
import { startMailboxWatcher } from '../mail/imap/mailbox-watcher.ts';
import type { WatcherSink, WatcherStatus } from '../mail/imap/types.ts';
import type { Redis } from 'ioredis';
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import type { Env } from '../config/env.ts';
import type { Logger } from '../platform/logger.ts';
import { IMAP_STATES, mailboxLabel, type Metrics } from '../platform/metrics.ts';
import type { Stoppable } from '../platform/stoppable.ts';
import { INLINE_RAW_LIMIT_BYTES, type JobPayload } from '../queues/catalog.ts';
import type { Queues } from '../queues/queues.ts';
import type { MailboxRecord, Store } from '../store/index.ts';
import { startDropFolderWatcher } from './drop-folder-watcher.ts';
import { tooLargeReason } from './ingest/mail-size.ts';
import { WatcherSupervisor, type SupervisedWatcher } from './watcher-supervisor.ts';

export interface WatcherRoleOptions {
  /** Lease timing (tests shorten it); defaults in mailbox-lease.ts. */
  leaseTtlMs?: number;
  reconcileIntervalMs?: number;
  dropPollIntervalMs?: number;
}

/** What the watcher role takes from the process (runtime/roles.ts passes its context). */
export interface WatcherRoleDeps {
  env: Pick<Env, 'POSTROOM_QUEUE_PREFIX' | 'POSTROOM_MAX_MAIL_BYTES'>;
  bootstrap: Bootstrap;
  store: Store;
  queues: Queues;
  redis: Redis;
  logger: Logger;
  metrics: Pick<Metrics, 'imapState' | 'imapAuthFailures'>;
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

  function imapPassword(mailbox: MailboxRecord): string {
    const config = context.bootstrap.accounts
      .find((account) => account.id === mailbox.account_id)
      ?.mailboxes.find((m) => m.id === mailbox.key);
    const pass = config?.imap?.auth.pass;
    // Passwords live only in the bootstrap config, never in MongoDB.
    if (!pass)
      throw new Error(
        `no IMAP password for mailbox ${mailbox.account_id}/${mailbox.key} in POSTROOM_CONFIG`,
      );
    return pass;
  }

  function createWatcher(mailbox: MailboxRecord): SupervisedWatcher {
    const log = logger.child({ mailbox: mailbox.key, account: mailbox.account_id });
    if (mailbox.kind === 'imap' && mailbox.imap) {
      const label = mailboxLabel(mailbox.account_id, mailbox.key);
      const watcher = startMailboxWatcher({
        mailboxId: mailbox._id,
        imap: { ...mailbox.imap, auth: { user: mailbox.imap.user, pass: imapPassword(mailbox) } },
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
  return [{ name: 'watchers', stop: () => supervisor.stop() }];
}
