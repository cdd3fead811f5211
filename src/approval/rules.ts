// Which approval action a message's current state allows. Pure: the store
// repeats the same conditions in its conditional update, so what is checked
// here (for a precise error) cannot change between the check and the write.
import { MESSAGE_LIFECYCLE } from '../conversations/message-lifecycle.ts';
import type { MessageRecord } from '../store/index.ts';
import { conflict, type ApprovalError } from './errors.ts';

type Checked = Pick<MessageRecord, '_id' | 'status' | 'streaming_state' | 'delivery'> &
  Partial<Pick<MessageRecord, 'redacted_at'>>;

/** The delivery worker has claimed it: an attempt is on its way to the mail server. */
export function isBeingSent(message: Pick<MessageRecord, 'delivery'>): boolean {
  return message.delivery?.sending_at != null;
}

/** Null when the message may be approved (a draft, or a re-approval while scheduled). */
export function approveBlocker(message: Checked): ApprovalError | null {
  // Its text is gone for good: there is nothing left to approve.
  if (message.redacted_at) {
    return conflict(
      'message_redacted',
      `message "${message._id}" belongs to a redacted conversation: its content was erased and it cannot be approved`,
    );
  }
  // A failed message goes back to scheduled only through the retry action.
  if (!MESSAGE_LIFECYCLE.canApply('approve', message.status)) {
    return conflict(
      'invalid_state',
      `message "${message._id}" is ${message.status}: only a draft or a scheduled message can be approved`,
    );
  }
  if (message.status === 'draft' && message.streaming_state === 'streaming') {
    return conflict(
      'draft_streaming',
      `draft "${message._id}" is still being written: approve it once it is complete`,
    );
  }
  if (isBeingSent(message)) return beingSent(message);
  return null;
}

/** Null when the message may be rejected: any draft (a streaming one stops its run). */
export function rejectBlocker(message: Checked): ApprovalError | null {
  if (MESSAGE_LIFECYCLE.canApply('reject', message.status)) return null;
  return conflict(
    'invalid_state',
    `message "${message._id}" is ${message.status}: only a draft can be rejected`,
  );
}

/** Null when the message may be canceled: scheduled and not being sent. */
export function cancelBlocker(message: Checked): ApprovalError | null {
  if (!MESSAGE_LIFECYCLE.canApply('cancel', message.status)) {
    return conflict(
      'invalid_state',
      `message "${message._id}" is ${message.status}: only a scheduled message can be canceled`,
    );
  }
  if (isBeingSent(message)) return beingSent(message);
  return null;
}

/** Null when the message may be retried: failed for good (a human sends it again). */
export function retryBlocker(message: Checked): ApprovalError | null {
  if (MESSAGE_LIFECYCLE.canApply('retry', message.status)) return null;
  return conflict(
    'not_failed',
    `message "${message._id}" is ${message.status}: only a failed message can be retried`,
  );
}

function beingSent(message: Checked): ApprovalError {
  return conflict(
    'delivery_in_progress',
    `message "${message._id}" is being sent right now: it can no longer be changed or canceled`,
  );
}

/**
 * The time to deliver at: the requested one (a time already past means "as
 * soon as possible"), else, for a re-approval, the time already set, else now.
 */
export function deliveryTime(
  requested: Date | null | undefined,
  current: Pick<MessageRecord, 'status' | 'scheduled_at'>,
  now: Date,
): Date {
  if (requested) return requested < now ? now : requested;
  if (current.status === 'scheduled' && current.scheduled_at) return current.scheduled_at;
  return now;
}
