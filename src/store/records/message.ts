import type {
  AttachmentKind,
  Channel,
  DeliveryEventOutcome,
  MessageKind,
  MessageStatus,
  StreamingState,
  Visibility,
} from '../../conversations/enums.ts';
import type { EntityRef } from './conversation.ts';

/** A chat_message. Only `sent` messages carry a `sequence`. */
export interface MessageRecord {
  _id: string;
  account_id: string;
  conversation_id: string;
  kind: MessageKind;
  status: MessageStatus;
  visibility: Visibility;
  /** Absent (not null) unless sent: the unique partial index counts only present values. */
  sequence?: number;
  body: string | null;
  subject: string | null;
  sender_id: string | null;
  author_id: string | null;
  attachments: AttachmentRecord[];
  reply_to_id: string | null;
  resource: EntityRef | null;
  channel: Channel;
  scheduled_at: Date | null;
  agent_run_id: string | null;
  streaming_state: StreamingState | null;
  /** Absent unless the client sent one (unique per conversation when present). */
  client_message_id?: string;
  edited_at: Date | null;
  deleted_at: Date | null;
  /** The mailbox config key for email messages. */
  mailbox_id: string | null;
  /** The customer participant who sent an inbound mail. */
  participant_id: string | null;
  html: string | null;
  /** The body without quoted history. */
  text_new: string | null;
  email: EmailMeta | null;
  /**
   * Full bodies too large to keep inline (see INLINE_BODY_BYTES in the ingest): `body` and
   * `html` then hold their first bytes and these GridFS files the whole text. Absent or null
   * when both are inline.
   */
  body_files?: BodyFiles | null;
  /** GridFS id of the raw .eml. */
  raw_source_id: string | null;
  parse_error: string | null;
  /**
   * Inbound mail whose effects on its case (unread count, workflow move, bounce
   * alert) are not recorded yet: set when the message is stored, cleared once
   * they are. A replayed ingest job that finds it set finishes them. Absent on
   * messages stored before this field existed (they count as settled).
   */
  ingest_pending_since?: Date | null;
  delivery: DeliveryState | null;
  approval: ApprovalInfo | null;
  rejection: RejectionInfo | null;
  cancel: CancelInfo | null;
  /** Why a draft was superseded by a human's action (regenerate). Absent otherwise. */
  supersession?: SupersessionInfo | null;
  trigger_message_id: string | null;
  /** The knowledge passages an agent's draft cites ([K1] markers). Absent on other messages. */
  citations?: CitationRecord[];
  redacted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface AttachmentRecord {
  _id: string;
  kind: AttachmentKind;
  filename: string | null;
  content_type: string | null;
  size_bytes: number | null;
  gridfs_id: string | null;
  /** Content-ID (no angle brackets) of an inline image. */
  content_id: string | null;
  inline: boolean;
  checksum: string | null;
  /** The URL of a link attachment. */
  url: string | null;
}

export interface BodyFile {
  gridfs_id: string;
  size_bytes: number;
  /** sha256 of the UTF-8 content, hex. */
  checksum: string;
}

export interface BodyFiles {
  text: BodyFile | null;
  html: BodyFile | null;
}

export interface EmailAddress {
  name: string | null;
  address: string;
}

export interface EmailMeta {
  /** Message ids are stored WITHOUT angle brackets. */
  message_id?: string;
  in_reply_to: string | null;
  references: string[];
  from: EmailAddress | null;
  to: EmailAddress[];
  cc: EmailAddress[];
  auto_submitted: boolean;
  auto_submitted_reason: string | null;
  subject: string | null;
  date: Date | null;
  /**
   * Inbound mail: the unique dedupe key (conversations/dedupe.ts). Absent on
   * messages stored before it existed and on mail we send.
   */
  dedupe_key?: string;
  /** Inbound mail: sha256 of the significant content; absent or null where dedupe_key is. */
  content_hash?: string | null;
  /** Another, different mail carried this Message-ID first. Absent on older documents. */
  message_id_reused?: boolean;
  /** Sent by one of the account's own addresses. Absent on older documents. */
  from_self?: boolean;
}

export interface DeliveryState {
  attempts: number;
  last_error: DeliveryError | null;
  next_attempt_at: Date | null;
  sent_at: Date | null;
  /** When the attempt in progress began; null between attempts (absent on older documents). */
  sending_at?: Date | null;
  /**
   * Failed looks in the Sent folder for the attempt in `sending_at` after its
   * outcome was lost (delivery/prior-attempt.ts); 0 again when an attempt begins.
   */
  sent_checks?: number;
  /**
   * `attempts` when the current attempt budget began: 0 until a human retries
   * a failed message, then the count so far. The mailbox's max_attempts
   * bounds `attempts - budget_start`. Absent on older documents (0).
   */
  budget_start?: number;
  /** How often a human sent a failed message back to delivery (retry action). Absent: 0. */
  retries?: number;
  /** What happened to each attempt and retry, oldest first. Absent on older documents. */
  history?: DeliveryEvent[];
}

/**
 * One entry of delivery.history. Outcomes: sent (the server took it),
 * will_retry (transient failure, another attempt follows), failed (for good:
 * permanent error, attempts used up, or refused before sending), retried (a
 * human sent the failed message back with a fresh attempt budget).
 */
export interface DeliveryEvent {
  /** The attempt's number (1-based, across budgets); null when no attempt was begun. */
  attempt: number | null;
  outcome: DeliveryEventOutcome;
  at: Date;
  error: DeliveryError | null;
  /** The actor who retried (outcome `retried`); null otherwise. */
  by: string | null;
}

export interface DeliveryError {
  code: string | null;
  response: string | null;
  message: string;
}

export interface ApprovalInfo {
  approved_by: string | null;
  approved_at: Date;
  edit_distance: number | null;
  original_body: string | null;
  original_subject: string | null;
  /**
   * For the approval metrics, recorded at approval (absent on older documents):
   * edit_distance over the longer of the draft and the approved body, 0..1.
   */
  edit_ratio?: number | null;
  /** The body or subject differs from what the agent wrote. */
  edited?: boolean;
  /** When the agent's draft was complete (its run's completed_at); null for a human's message. */
  draft_ready_at?: Date | null;
  /** When the customer message the reply answers was stored; null when it answers none. */
  customer_message_at?: Date | null;
}

export interface RejectionInfo {
  reason: string | null;
  rejected_by: string | null;
  rejected_at: Date;
}

export interface SupersessionInfo {
  reason: string;
  /** The actor who asked for the newer draft. */
  superseded_by: string | null;
  superseded_at: Date;
  /** The agent run writing the draft that replaces this one. */
  agent_run_id: string | null;
}

export interface CancelInfo {
  reason: string | null;
  canceled_by: string | null;
  canceled_at: Date;
}

/** A knowledge passage a draft cites: what the approver is shown as its source. */
export interface CitationRecord {
  /** The marker the model wrote, e.g. "K2". */
  label: string;
  passage_id: string;
  document_id: string;
  source: 'folder' | 'upload' | 'reply';
  title: string;
}
