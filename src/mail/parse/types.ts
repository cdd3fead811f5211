// The plain-data shapes the mail parsing layer hands to the rest of Postroom.
// Nothing here mentions mailparser: callers outside src/mail/ see only these.
//
// Glossary
// - raw: the message exactly as received (RFC 5322 bytes).
// - message id: a Message-ID / In-Reply-To / References value without the
//   angle brackets, trimmed, otherwise as given (ids are compared verbatim).
// - sink: where attachment content goes (GridFS in production); the parser
//   streams each attachment into it and keeps only the sink's receipt.
import type { Readable } from 'node:stream';

export interface EmailAddress {
  /** Display name, decoded; '' when the header gave none. */
  name: string;
  /** The addr-spec with its domain lower-cased; the local part as given. */
  address: string;
}

export type AutoSubmittedReason = 'auto-reply' | 'bounce' | 'mailing-list' | 'bulk';

export type AttachmentKind = 'image' | 'file';

/** What the sink is told about an attachment before its content streams in. */
export interface AttachmentMeta {
  /** 1-based position among this message's attachments, in MIME order. */
  index: number;
  filename: string;
  content_type: string;
  kind: AttachmentKind;
  /** Content-ID without angle brackets, or null. */
  content_id: string | null;
  /** The part's Content-Disposition, or null when it had none. */
  disposition: 'inline' | 'attachment' | null;
  /** IMAP-style part number ("1.2"), or null for a single-part message. */
  part_id: string | null;
}

/** The sink's receipt for one stored attachment. */
export interface StoredAttachment {
  id: string;
  size_bytes: number;
  checksum?: string;
}

/**
 * Storage for attachment content. `store` must consume `content` to its end
 * (the parser waits for it) and reject only for storage failures: a rejection
 * aborts the parse and propagates to the caller so the job retries.
 */
export interface AttachmentSink {
  store(meta: AttachmentMeta, content: Readable): Promise<StoredAttachment>;
}

export interface ParsedAttachment {
  /** The sink's id. */
  id: string;
  kind: AttachmentKind;
  filename: string;
  content_type: string;
  size_bytes: number;
  content_id: string | null;
  /** Shown inside the HTML (referenced by cid:) rather than listed as a file. */
  inline: boolean;
  /** The sink's checksum when it reports one, else the sha256 (hex) of the content. */
  checksum: string;
  /** The message broke off inside this attachment: the stored content is incomplete. */
  truncated: boolean;
}

export interface BounceInfo {
  /** Message-ID of the message that bounced (ours, usually), without <>. */
  original_message_id: string | null;
  /** The recipients the report says failed (Final-Recipient, X-Failed-Recipients). */
  recipients: string[];
  /** RFC 3463 status of the first failed recipient, e.g. "5.1.1". */
  status: string | null;
  /** RFC 3464 action of that recipient: failed | delayed | delivered | relayed | expanded. */
  action: string | null;
}

export interface ReplyTokens {
  /** The <token> of support+<token>@domain, when addressed to the mailbox's plus address. */
  plus_token: string | null;
  /** n of a "[#n]" tag in the subject. */
  case_number: number | null;
}

export interface ParsedEmail {
  message_id: string | null;
  in_reply_to: string | null;
  /** Oldest first, deduplicated, at most the last 50. */
  references: string[];
  subject: string;
  from: EmailAddress | null;
  to: EmailAddress[];
  cc: EmailAddress[];
  reply_to: EmailAddress[];
  date: Date | null;
  /** The whole plain text: the text part(s), or text derived from the HTML. */
  text: string;
  html: string | null;
  /** The new text only: quoted history and the trailing signature removed. */
  text_new: string;
  /** The significant headers only (lower-case names), see SIGNIFICANT_HEADERS. */
  headers: Record<string, string>;
  attachments: ParsedAttachment[];
  auto_submitted: boolean;
  auto_submitted_reason: AutoSubmittedReason | null;
  bounce: BounceInfo | null;
  reply_tokens: ReplyTokens;
  /** Why the message could be read only in part; null when it parsed cleanly. */
  parse_error: string | null;
  /** Present when some text had to be decoded with a guessed or lossy charset. */
  charset_warnings?: string[];
}

export interface ParseEmailOptions {
  /** Largest header block of one MIME part, in bytes (default 1 MiB). */
  maxHeaderBytes?: number;
  /** The receiving mailbox's address, to recognise support+<token>@ replies. */
  mailboxAddress?: string;
}
