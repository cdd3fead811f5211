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
}
