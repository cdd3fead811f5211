// Delivery's contract with a mailbox's Sent folder, in plain TypeScript (no
// imapflow types), so src/delivery can name them without the IMAP client.
import type { MailAuth } from './types.ts';

export interface SentFolderRoute {
  /** Connection identity: one connection per mailbox and process. */
  key: string;
  host: string;
  port: number;
  secure: boolean;
  require_tls?: boolean;
  auth: MailAuth;
  /** The folder's path; null: the one the server marks \Sent (SPECIAL-USE). */
  folder: string | null;
}

/**
 * Why a Sent-folder operation failed: `auth` the server refused the login
 * (not RFC 5530 UNAVAILABLE, which is `transient`), `no_folder` there is no
 * such folder or none is marked \Sent (a setting to fix), `transient` anything
 * else (network, timeout, a server error).
 */
export type SentFolderFailure = 'auth' | 'no_folder' | 'transient';

export class SentFolderError extends Error {
  /** Not tried: an earlier failure of this mailbox pauses its APPENDs (sent-folder.ts). */
  readonly paused: boolean;

  constructor(
    readonly failure: SentFolderFailure,
    message: string,
    options: { cause?: unknown; paused?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'SentFolderError';
    this.paused = options.paused ?? false;
  }
}

type SentSearch =
  | { found: true; folder: string; /** INTERNALDATE of the copy. */ stored_at: Date | null }
  | { found: false; folder: string };

export interface SentFolders {
  /** Look for a message by its Message-ID (bare, as stored). Rejects with SentFolderError. */
  find(route: SentFolderRoute, messageId: string): Promise<SentSearch>;
  /**
   * Store `raw` in the Sent folder, marked \Seen. Rejects with SentFolderError,
   * at once while a recent failure of this mailbox pauses its APPENDs.
   */
  append(route: SentFolderRoute, raw: Buffer): Promise<{ folder: string }>;
  /** Log out of every connection. */
  close(): Promise<void>;
}
