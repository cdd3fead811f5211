import type {
  ActorType,
  Audience,
  ConversationStatus,
  ConversationType,
  EntityType,
  LegalHold,
  Membership,
  NotificationSetting,
  ParticipantRole,
  ParticipantType,
  Priority,
  TriggerPolicy,
  WorkflowStatus,
} from '../../conversations/enums.ts';

/**
 * A conversation (a support case when `audience` is customer). Participants are
 * embedded: they are few, always read with the case, and changing them stays a
 * single-document atomic update.
 */
export interface ConversationRecord {
  _id: string;
  account_id: string;
  type: ConversationType;
  audience: Audience;
  title: string | null;
  workflow_status: WorkflowStatus | null;
  group_id: string | null;
  status: ConversationStatus;
  legal_hold: LegalHold;
  assignee_id: string | null;
  /** The assignee's actor type; absent on records from before it (null: unassigned). */
  assignee_type?: ActorType | null;
  /** Marked by a teammate as awaiting something (seed C); not shown to the customer. */
  awaiting?: boolean;
  topic: EntityRef | null;
  unread: number;
  last_message_at: Date | null;
  last_message_id: string | null;
  /** Unique per account: its highest + 1, gap-free (conversations.create). */
  case_number: number;
  priority: Priority;
  is_spam: boolean;
  spam_score: number | null;
  first_response_at: Date | null;
  closed_at: Date | null;
  /** The mailbox config key (not the `mbx_` id), or null for non-email conversations. */
  mailbox_id: string | null;
  email_thread: EmailThread | null;
  /** Highest sequence given to a sent message (denormalised; the index decides). */
  last_sequence: number;
  participants: ParticipantRecord[];
  redacted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** An app resource a conversation or message is anchored to (the seed's entity). */
export interface EntityRef {
  id: string;
  type: EntityType;
  name: string | null;
  handle: string | null;
}

interface EmailThread {
  /**
   * Message-ID (no angle brackets) of the mail that opened the case; null when
   * that mail reused another mail's Message-ID (see root_key).
   */
  root_message_id: string | null;
  /**
   * Content hash of the mail that opened the case, so a different mail with the
   * same Message-ID is not taken for it. Absent or null on older cases.
   */
  root_hash?: string | null;
  /** Dedupe key of an opening mail whose Message-ID was reused (conversations/dedupe.ts). */
  root_key?: string;
  /** Random, unique per account: put in outbound Reply-To / Message-ID to thread replies. */
  reply_token: string;
  subject_normalized: string | null;
}

export interface ParticipantRecord {
  _id: string;
  type: ParticipantType;
  role: ParticipantRole;
  membership: Membership;
  notifications: NotificationSetting;
  actor_id: string | null;
  /** Only for `type: customer`. */
  customer: CustomerRef | null;
  agent_trigger_policy: TriggerPolicy | null;
  agent_trigger_keywords: string[];
  joined_at: Date;
}

export interface CustomerRef {
  name: string | null;
  /** Lower-cased email address. */
  address: string;
}
