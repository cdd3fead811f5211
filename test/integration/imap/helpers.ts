// Shared pieces of the IMAP watcher tests: an in-memory sink that records every
// call, a logger whose lines the tests can read, and a watcher with test timings.
import type { TestContext } from 'node:test';
import { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import type {
  InboundImapMessage,
  MailboxWatcher,
  MailboxWatcherOptions,
  SkippedImapMessage,
  SyncState,
  WatcherSink,
  WatcherStatus,
} from '../../../src/mail/imap/mailbox-watcher.ts';
import { startMailboxWatcher } from '../../../src/mail/imap/mailbox-watcher.ts';
import { type Logger } from '../../../src/platform/logger.ts';
import { uniqueName } from '../../support/env.ts';
import type { DovecotServer } from '../../support/services/dovecot.ts';
// Shared with the other integration folders.
export { capturedLogger, type CapturedLogger } from '../../support/helpers.ts';

export function rawMessage(subject: string, body = 'My order has not arrived.'): string {
  return [
    'From: Customer <customer@example.com>',
    'To: Support <support@example.com>',
    `Subject: ${subject}`,
    `Message-ID: <${subject.replace(/\W/g, '')}.${Date.now()}@example.com>`,
    'Date: Mon, 06 May 2024 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');
}

/** Records every call; `failDeliver` decides per call whether deliver throws. */
export class MemorySink implements WatcherSink {
  state: { uidvalidity: string | null; last_uid: number } = { uidvalidity: null, last_uid: 0 };
  readonly delivered: InboundImapMessage[] = [];
  /** The UID of every deliver call, failed ones included. */
  readonly attempts: number[] = [];
  readonly saves: SyncState[] = [];
  readonly statuses: Array<{ status: WatcherStatus; error?: string; at: number }> = [];
  readonly skippedMessages: SkippedImapMessage[] = [];
  failDeliver: (uid: number, attempt: number) => boolean = () => false;

  async loadSyncState(): Promise<{ uidvalidity: string | null; last_uid: number }> {
    return { ...this.state };
  }

  async saveSyncState(state: SyncState): Promise<void> {
    this.saves.push({ ...state });
    this.state = { ...state };
  }

  async setStatus(status: WatcherStatus, error?: string): Promise<void> {
    this.statuses.push({ status, error, at: Date.now() });
  }

  async deliver(message: InboundImapMessage): Promise<void> {
    this.attempts.push(message.uid);
    const attempt = this.attempts.filter((uid) => uid === message.uid).length;
    if (this.failDeliver(message.uid, attempt)) throw new Error('the ingest queue is unavailable');
    this.delivered.push(message);
  }

  async skipped(message: SkippedImapMessage): Promise<void> {
    this.skippedMessages.push(message);
  }

  uids(): number[] {
    return this.delivered.map((message) => message.uid);
  }

  count(status: WatcherStatus): number {
    return this.statuses.filter((entry) => entry.status === status).length;
  }
}

type WatcherOverrides = Partial<Omit<MailboxWatcherOptions, 'imap'>> & {
  imap?: Partial<MailboxWatcherOptions['imap']>;
};

/** Starts a watcher on `user`'s INBOX with short test timings; stopped by the returned cleanup list. */
export function watch(
  server: Pick<DovecotServer, 'host' | 'port' | 'password'>,
  user: string,
  sink: WatcherSink,
  logger: Logger,
  overrides: WatcherOverrides = {},
): MailboxWatcher {
  const { imap, ...rest } = overrides;
  return startMailboxWatcher({
    mailboxId: `mbx-${user}`,
    sink,
    logger,
    backoff: { baseMs: 50, maxMs: 500, authFailureMs: 60_000 },
    ...rest,
    imap: {
      host: server.host,
      port: server.port,
      secure: false,
      auth: { user, pass: server.password },
      folder: 'INBOX',
      mark_seen: false,
      ...imap,
      // Tests append mail dated now; null also keeps the old-mail window out of tests not about it.
      history_days: imap?.history_days === undefined ? null : imap.history_days,
    },
  });
}

/** A plain client for looking at the mailbox as another mail program would. */
export async function openClient(
  server: Pick<DovecotServer, 'host' | 'port' | 'password'>,
  user: string,
): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    auth: { user, pass: server.password },
    logger: false,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export async function flagsOf(
  server: Pick<DovecotServer, 'host' | 'port' | 'password'>,
  user: string,
  uid: number,
): Promise<Set<string>> {
  const client = await openClient(server, user);
  try {
    await client.mailboxOpen('INBOX', { readOnly: true });
    const message = await client.fetchOne(String(uid), { flags: true }, { uid: true });
    if (!message) throw new Error(`UID ${uid} not found`);
    return message.flags ?? new Set();
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** A Redis client that is ready before the test uses it. */
export async function readyRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  await redis.connect();
  return redis;
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 100);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** A key prefix of the test's own; its keys are deleted after the test. */
export function prefixFor(t: TestContext, redis: Redis): string {
  const prefix = uniqueName('lease-test');
  t.after(() => deleteKeys(redis, prefix));
  return prefix;
}

/** A Redis connection of one simulated process; closed after the test. */
export async function processRedis(t: TestContext, url: string): Promise<Redis> {
  const client = await readyRedis(url);
  t.after(() => client.disconnect());
  return client;
}
