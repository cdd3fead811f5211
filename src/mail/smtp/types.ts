// What the mail adapter needs to send one message, in Postroom's terms (no
// nodemailer types leak out of this folder). Message ids are bare (no angle
// brackets), as stored.
import type { MailAuth } from '../imap/types.ts';

export interface MailAddress {
  name: string | null;
  address: string;
}

export interface OutboundMail {
  messageId: string;
  /** Fixed before the first attempt, so every retry carries the same Date header. */
  date: Date;
  from: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  /** The plus address that threads a reply even when its headers are stripped. */
  replyTo: string | null;
  subject: string;
  inReplyTo: string | null;
  references: string[];
  /** Plain text; the HTML alternative is rendered from it. */
  text: string;
}

/** How a mailbox sends: over SMTP (pooled) or as .eml files in a folder. */
export type OutboundRoute =
  | {
      kind: 'smtp';
      /** Pool identity: one pool per mailbox. */
      key: string;
      host: string;
      port: number;
      secure: boolean;
      /** With secure: false, fail unless the server upgrades with STARTTLS. */
      requireTls?: boolean;
      /** A password, or an OAuth2 access token (XOAUTH2). */
      auth: MailAuth | null;
      poolSize: number;
    }
  | { kind: 'outbox_folder'; dir: string };

export interface SendReceipt {
  /** The server's final reply, or where the file was written. */
  response: string;
  accepted: string[];
}

export interface Outbound {
  /**
   * Send one message, once: no transport-level resends (the delivery worker
   * counts attempts). Rejects with an error carrying code / responseCode /
   * response / command (see delivery/classify.ts) when it was not accepted,
   * including when any recipient was refused.
   */
  send(route: OutboundRoute, mail: OutboundMail, signal?: AbortSignal): Promise<SendReceipt>;
  /** Close every SMTP pool (connections in use finish their message first). */
  close(): Promise<void>;
}
