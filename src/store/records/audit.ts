/**
 * What an audit entry records. Kinds name the change, not the route that made
 * it, so an entry reads the same whichever caller (API, worker) wrote it.
 */
export const AUDIT_KINDS = [
  'conversation_created',
  'workflow_status_changed',
  'conversation_updated',
  'participant_added',
  'participant_removed',
  'legal_hold_changed',
  'awaiting_changed',
  'transferred',
  'redacted',
  'message_approved',
  'message_rejected',
  'message_canceled',
  /** A failed reply sent back to delivery (retry). */
  'message_retried',
  /** A new agent run asked for by a human (regenerate); it supersedes the pending drafts. */
  'draft_regenerated',
  'message_delivered',
  'message_delivery_failed',
  /** A run refused before it started: it would have passed a budget (agents/budget). */
  'agent_budget_exceeded',
  /** A human decided on an action an agent proposed (a tool call that changes something). */
  'proposed_action_approved',
  'proposed_action_rejected',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** A changed field's value: scalars only, so an entry never embeds a document. */
export type AuditValue = string | number | boolean | null;

export interface AuditChange {
  field: string;
  before: AuditValue;
  after: AuditValue;
  /**
   * The values quote content (a title): a redaction of the conversation
   * erases them (sets both to null) and leaves the fact that the field changed.
   */
  content: boolean;
}

/** One change to a case: who, when, what kind, and the fields it changed. */
export interface AuditRecord {
  _id: string;
  account_id: string;
  conversation_id: string;
  kind: AuditKind;
  /** The actor (API key, user, agent) that made the change; null for the system. */
  actor_id: string | null;
  /** The message the change was about (approve, reject, cancel, send), if any. */
  message_id: string | null;
  changes: AuditChange[];
  created_at: Date;
}
