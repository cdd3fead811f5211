// The enums of the stored documents. Values follow the seed API documents
// (seeds/set-case-status.txt, seeds/redact-conversation.txt) plus the few
// Postroom adds (priority, mailbox kinds, run and sync states). Kept as const
// tuples so schemas, zod validators and exhaustive switches share one list.

export const ACTOR_TYPES = ['user', 'api_key', 'agent', 'group'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export const CONVERSATION_TYPES = ['direct_message', 'group', 'system'] as const;
export type ConversationType = (typeof CONVERSATION_TYPES)[number];

export const AUDIENCES = ['internal', 'customer'] as const;
export type Audience = (typeof AUDIENCES)[number];

export const WORKFLOW_STATUSES = [
  'new',
  'open',
  'waiting_internal',
  'waiting_external',
  'needs_approval',
  'resolved',
] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

// 'hidden' is per caller in the seed; the stored, account-level state is one of these.
export const CONVERSATION_STATUSES = ['active', 'archived', 'hidden'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

export const LEGAL_HOLDS = ['released', 'held'] as const;
export type LegalHold = (typeof LEGAL_HOLDS)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const PARTICIPANT_TYPES = ['user', 'agent', 'system', 'customer'] as const;
export type ParticipantType = (typeof PARTICIPANT_TYPES)[number];

export const PARTICIPANT_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type ParticipantRole = (typeof PARTICIPANT_ROLES)[number];

export const MEMBERSHIPS = ['active', 'left', 'removed', 'hidden'] as const;
export type Membership = (typeof MEMBERSHIPS)[number];

export const NOTIFICATION_SETTINGS = ['unmuted', 'muted'] as const;
export type NotificationSetting = (typeof NOTIFICATION_SETTINGS)[number];

// One list for the config file and the stored participants.
export { TRIGGER_POLICIES, type TriggerPolicy } from '../../config/bootstrap-schema.ts';

export const MESSAGE_KINDS = [
  'chat',
  'system_event',
  'agent',
  'scheduled',
  'alert',
  'email',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const MESSAGE_STATUSES = [
  'draft',
  'scheduled',
  'sent',
  'canceled',
  'rejected',
  'failed',
  'superseded',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const VISIBILITIES = ['internal', 'external', 'system'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const CHANNELS = ['message', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

export const STREAMING_STATES = ['streaming', 'complete'] as const;
export type StreamingState = (typeof STREAMING_STATES)[number];

export const ATTACHMENT_KINDS = ['file', 'image', 'link', 'resource'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

export const ENTITY_TYPES = ['account', 'actor', 'entity'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export const AGENT_STATUSES = ['active', 'disabled'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const USER_STATUSES = ['active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const AGENT_RUN_STATUSES = [
  'queued',
  'running',
  'completed',
  'failed',
  'canceled',
  'capped',
] as const;
export type AgentRunStatus = (typeof AGENT_RUN_STATUSES)[number];

export const MAILBOX_KINDS = ['imap', 'drop_folder'] as const;
export type MailboxKind = (typeof MAILBOX_KINDS)[number];

export const OUTBOUND_KINDS = ['smtp', 'outbox_folder'] as const;
export type OutboundKind = (typeof OUTBOUND_KINDS)[number];

export const SYNC_STATUSES = ['idle', 'connecting', 'ok', 'auth_failed', 'error'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

/** Where a config-like document came from: the bootstrap file, or the API (later). */
export const RECORD_SOURCES = ['bootstrap', 'api'] as const;
export type RecordSource = (typeof RECORD_SOURCES)[number];
