// The IMAP watcher's contract with the rest of Postroom, in plain TypeScript:
// nothing here mentions imapflow, so the inbound wiring can import these types
// without pulling the IMAP client in (only src/mail/ talks IMAP).
import type { Logger } from '../../platform/logger.ts';
import type { ConnectionState } from './connection-state.ts';
import type { BackoffSettings } from './backoff.ts';

/** Where the watcher resumes: UIDs are only meaningful within one UIDVALIDITY. */
export interface SyncState {
  /** UIDVALIDITY of the folder as a decimal string (IMAP gives a 32-bit value, imapflow a BigInt). */
  uidvalidity: string;
  /** The highest UID handed over; everything at or below it is done. */
  last_uid: number;
}

export type WatcherStatus = 'connecting' | 'ok' | 'auth_failed' | 'error';

/** One message as fetched from the server, handed over unparsed. */
export interface InboundImapMessage {
  uidvalidity: string;
  uid: number;
  /** The full RFC 822 source, exactly as the server stores it. */
  source: Buffer;
  size: number;
  internal_date: Date | null;
}

/** A message the watcher did not fetch because it is larger than `maxMessageBytes`. */
export interface SkippedImapMessage {
  uidvalidity: string;
  uid: number;
  size: number;
  reason: 'too_large';
}

/** What the watcher needs from the outside world (the store and the mail.ingest queue). */
export interface WatcherSink {
  loadSyncState(): Promise<{ uidvalidity: string | null; last_uid: number }>;
  /** Called after each message is safely handed over, in UID order. */
  saveSyncState(state: SyncState): Promise<void>;
  setStatus(status: WatcherStatus, error?: string): Promise<void>;
  /** Hand over one message; resolves when safely enqueued; throwing means "retry later". */
  deliver(message: InboundImapMessage): Promise<void>;
  /**
   * Optional: told about a message skipped for its size, before the state moves past it,
   * so it can be recorded (an alert for the team) rather than vanish from the logs only.
   */
  skipped?(message: SkippedImapMessage): Promise<void>;
}

/** A login: a password, or an OAuth2 access token (SASL XOAUTH2). */
export type MailAuth = { user: string; pass: string } | { user: string; accessToken: string };

export interface ImapSettings {
  host: string;
  port: number;
  secure: boolean;
  /** With secure: false, refuse to go on unless the server upgrades with STARTTLS. */
  require_tls?: boolean;
  auth: MailAuth;
  folder: string;
  /** Set \Seen on a message once it is handed over; otherwise the folder is opened read-only. */
  mark_seen: boolean;
  /**
   * Syncing a folder from the start (first time, or after UIDVALIDITY changed) takes mail that
   * arrived in the last this many days only; older mail stays on the server untouched. null: all.
   */
  history_days: number | null;
}

/** The login circuit breaker, for the admin API and metrics. */
export interface BreakerState {
  state: 'closed' | 'open';
  /** Refused logins in a row. */
  failures: number;
  /** When the next login is tried (open only). */
  retry_at: Date | null;
}

export interface MailboxWatcherOptions {
  mailboxId: string;
  imap: ImapSettings;
  /**
   * Where each connection gets its login (an OAuth2 access token is refreshed
   * before it expires); `rejected`: the server refused the last one. An error
   * with `authenticationFailed: true` counts as refused credentials. Without
   * it, `imap.auth` is used as it is.
   */
  login?: (rejected: boolean) => Promise<MailAuth>;
  /** The first refused login after a healthy time (one call per outage, not per retry). */
  onAuthFailed?: (reason: string) => void;
  /** The breaker opened or closed, or its retry moved. */
  onBreaker?: (breaker: BreakerState) => void;
  sink: WatcherSink;
  logger: Logger;
  /** A reconcile pass by UID this often, for anything IDLE missed. Default 60 s. */
  reconcileIntervalMs?: number;
  /** Reconnect timing; see backoff.ts for the defaults and why. */
  backoff?: Partial<BackoffSettings>;
  /** Messages larger than this are not fetched but reported to `sink.skipped`. Default: no limit. */
  maxMessageBytes?: number;
  /** Messages per UID FETCH. Default 50. */
  fetchBatchSize?: number;
  /** Bytes of message source held at once (a single larger message is fetched alone). Default 32 MiB. */
  fetchBatchBytes?: number;
  /** How long stop() waits for the message in hand before closing the connection. Default 10 s. */
  stopTimeoutMs?: number;
}

export interface MailboxWatcher {
  /** Logs out (bounded), cancels every timer; no sink call starts after it resolves. */
  stop(): Promise<void>;
  /**
   * Resolves after a reconcile pass that started after the call; rejects if that pass or the
   * connection fails, or on stop(). While reconnecting it waits: it never cuts a backoff short.
   */
  syncNow(): Promise<void>;
  readonly state: ConnectionState;
}
