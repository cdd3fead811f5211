import type { MailboxKind, OutboundKind, SyncStatus } from '../../conversations/enums.ts';

/**
 * A support mailbox. `_id` is `mbx_<account>_<configId>`; conversations and
 * messages refer to it by `key` (the config id). Passwords stay in the config.
 */
export interface MailboxRecord {
  _id: string;
  account_id: string;
  key: string;
  address: string;
  /** Other addresses that are this mailbox's (lower-cased); absent on records from before them. */
  aliases?: string[];
  display_name: string | null;
  kind: MailboxKind;
  imap: MailboxImap | null;
  drop_folder: string | null;
  outbound: MailboxOutbound;
  /** Agent `_id`s (`agt_…`) that join new conversations of this mailbox. */
  agent_ids: string[];
  delivery: MailboxDelivery;
  /** Watcher state; bootstrap never overwrites it. */
  sync: MailboxSync;
  /** Credentials kept by Postroom itself (all secrets sealed); bootstrap never overwrites it. */
  credentials?: MailboxCredentials | null;
  created_at: Date;
  updated_at: Date;
}

interface MailboxImap {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  folder: string;
  mark_seen: boolean;
  /** See ImapSettings.history_days. */
  history_days: number | null;
  /** The Sent folder's path; null: the one the server marks \Sent (SPECIAL-USE). */
  sent_folder: string | null;
  /** Postroom APPENDs each sent reply to the Sent folder (servers that do not file sent mail). */
  append_sent: boolean;
}

interface MailboxOutbound {
  kind: OutboundKind;
  smtp: MailboxSmtp | null;
  outbox_folder: string | null;
}

interface MailboxSmtp {
  host: string;
  port: number;
  secure: boolean;
  user: string | null;
  pool_size: number;
}

interface MailboxDelivery {
  max_attempts: number;
  backoff_ms: number;
  backoff_max_ms: number;
  jitter: number;
  cancel_scheduled_on_customer_reply: boolean;
}

export interface MailboxSync {
  /** A string because imapflow reports UIDVALIDITY as a BigInt. */
  uidvalidity: string | null;
  last_uid: number;
  status: SyncStatus;
  last_error: string | null;
  last_sync_at: Date | null;
  /** The login circuit breaker: `open` after refused logins, until `retry_at`. */
  breaker?: 'closed' | 'open';
  /** Logins refused in a row (IMAP LOGIN/AUTHENTICATE, or the OAuth2 token refresh). */
  auth_failures?: number;
  retry_at?: Date | null;
}

/**
 * A secret given through the API that replaces the config's. `config_seed`
 * fingerprints the config's value when it was given: once the config holds
 * another value (a deliberate change by the operator), the config wins again.
 */
export interface SealedOverride {
  sealed: string;
  config_seed: string;
  set_at: Date;
}

/** The OAuth2 tokens of a mailbox, shared by IMAP and SMTP (one grant, one refresh token). */
export interface StoredOAuth {
  refresh_token: string;
  access_token: string | null;
  expires_at: Date | null;
  /** Bumped by every save: a save is conditional on the version it read. */
  version: number;
  config_seed: string;
  refreshed_at: Date | null;
}

export interface MailboxCredentials {
  imap_pass?: SealedOverride | null;
  smtp_pass?: SealedOverride | null;
  oauth?: StoredOAuth | null;
}
