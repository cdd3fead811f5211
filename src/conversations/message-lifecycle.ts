// Message status transitions (seed enum status). Pure: the store applies a
// transition with a conditional update on its `from` statuses, so two racing
// actors cannot both win.
import { MESSAGE_STATUSES, type MessageStatus } from './enums.ts';
import { defineLifecycle } from './lifecycle.ts';

export { MESSAGE_STATUSES, type MessageStatus };

export const MESSAGE_LIFECYCLE = defineLifecycle(MESSAGE_STATUSES, {
  /** A human approves a draft, or re-approves a scheduled reply (new time or text). */
  approve: { from: ['draft', 'scheduled'], to: 'scheduled' },
  /** A human rejects a draft (a streaming one too: its run stops at its next save). */
  reject: { from: ['draft'], to: 'rejected' },
  /** A newer draft of the thread, or a human's regenerate, replaces a draft. */
  supersede: { from: ['draft'], to: 'superseded' },
  /** An agent streams a draft's body. */
  stream: { from: ['draft'], to: 'draft' },
  /** Delivery's bookkeeping of an attempt (headers, attempt count, retry wait). */
  attempt: { from: ['scheduled'], to: 'scheduled' },
  /** The mail server took the reply (or an in-conversation message was posted). */
  deliver: { from: ['scheduled'], to: 'sent' },
  /** A permanent error, or the attempts are used up. */
  fail: { from: ['scheduled'], to: 'failed' },
  /** A human or a customer reply cancels a scheduled reply (or delivery itself, e.g. redacted). */
  cancel: { from: ['scheduled'], to: 'canceled' },
  /** A human sends a failed reply again, with a fresh attempt budget. */
  retry: { from: ['failed'], to: 'scheduled' },
});

export type MessageTransition = keyof typeof MESSAGE_LIFECYCLE.transitions;

export function canTransition(from: MessageStatus, to: MessageStatus): boolean {
  return MESSAGE_LIFECYCLE.canTransition(from, to);
}
