// Why an approval action cannot be carried out, with a stable code. The API
// maps `kind` to an HTTP status (routes/message-actions.ts); other callers
// (tools, tests) get the same codes without HTTP.
import type { MessageRecord } from '../store/index.ts';

export type ApprovalErrorKind = 'not_found' | 'conflict' | 'unprocessable' | 'precondition_failed';

export type ApprovalErrorCode =
  | 'resource_not_found'
  /** The message is not in a state this action applies to (e.g. already sent). */
  | 'invalid_state'
  /** The draft is still being written by its agent. */
  | 'draft_streaming'
  /** The customer wrote again after the message the draft answers. */
  | 'stale_draft'
  /** The delivery worker is sending it right now. */
  | 'delivery_in_progress'
  /** Someone else changed the message between our read and our write. */
  | 'concurrent_update'
  /** A subject on a message that is not an email. */
  | 'not_an_email'
  /** Retry: the message has not failed (scheduled, sent, a draft...). */
  | 'not_failed'
  /** The message is no longer the version the human acted on (If-Match). */
  | 'message_changed'
  /** The message's conversation was redacted: its content is gone. */
  | 'message_redacted'
  /** A proposed action was approved or rejected already. */
  | 'action_decided'
  /** The proposed action's tool is no longer in the agent's bootstrap tools. */
  | 'tool_unavailable'
  /** The draft proposing the action was rejected or superseded: its actions go with it. */
  | 'draft_dismissed';

export class ApprovalError extends Error {
  override readonly name = 'ApprovalError';
  constructor(
    readonly kind: ApprovalErrorKind,
    readonly code: ApprovalErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const conflict = (code: ApprovalErrorCode, message: string): ApprovalError =>
  new ApprovalError('conflict', code, message);

/**
 * The caller said which version of the message it decided on (`expected`, the
 * updated_at it read) and the message is not that version any more: the error
 * to answer, else null.
 */
export function versionError(
  message: MessageRecord,
  expected: Date | undefined,
): ApprovalError | null {
  if (!expected || message.updated_at.getTime() === expected.getTime()) return null;
  return new ApprovalError(
    'precondition_failed',
    'message_changed',
    `message "${message._id}" changed since you read it (now ${message.status}, updated ${message.updated_at.toISOString()}): read it again and decide on what it says now`,
  );
}

/** Throws versionError's answer, if any. */
export function checkVersion(message: MessageRecord, expected: Date | undefined): void {
  const error = versionError(message, expected);
  if (error) throw error;
}

export const messageNotFound = (id: string): ApprovalError =>
  new ApprovalError('not_found', 'resource_not_found', `no message with id "${id}"`);
