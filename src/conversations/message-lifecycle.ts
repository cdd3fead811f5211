// Message status transitions (seed enum status). Pure: the store applies a
// transition with a conditional update on the `from` status, so two racing
// actors cannot both win.
import { MESSAGE_STATUSES, type MessageStatus } from './enums.ts';

export { MESSAGE_STATUSES, type MessageStatus };

const TRANSITIONS: Record<MessageStatus, readonly MessageStatus[]> = {
  // Approve (→ scheduled), reject, or replaced by a newer draft of the thread.
  draft: ['scheduled', 'rejected', 'superseded'],
  // Delivered, failed for good, canceled by a human or a customer reply;
  // re-approving with a new time keeps it scheduled.
  scheduled: ['sent', 'failed', 'canceled', 'scheduled'],
  sent: [],
  canceled: [],
  rejected: [],
  // A human's retry sends it back to delivery with a fresh attempt budget.
  failed: ['scheduled'],
  superseded: [],
};

export function canTransition(from: MessageStatus, to: MessageStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Statuses a message can be in for the move to `to` (for conditional updates). */
export function statusesAllowing(to: MessageStatus): MessageStatus[] {
  return MESSAGE_STATUSES.filter((from) => canTransition(from, to));
}
