// The human decisions on a reply: approve (draft or scheduled → scheduled),
// reject (draft → rejected), cancel (scheduled → canceled). Each is ONE
// conditional update on the state the caller read, so of two racing requests
// exactly one wins and the other sees null.
import type { MESSAGE_LIFECYCLE } from '../../conversations/message-lifecycle.ts';
import type { Models } from '../models/index.ts';
import type { ApprovalInfo, CancelInfo, MessageRecord, RejectionInfo } from '../records/message.ts';
import { messageFrom, messageTo } from './lifecycle-filters.ts';

/** The statuses a message is approved from (a draft, or a re-approval). */
type ApprovableStatus = (typeof MESSAGE_LIFECYCLE.transitions.approve.from)[number];

/**
 * A scheduled message the delivery worker has claimed (it stamps
 * `delivery.sending_at` before talking to the mail server) is past the point
 * where an edit or a cancel could still change what goes out. A null or
 * missing stamp matches `null`.
 */
const NOT_BEING_SENT = { 'delivery.sending_at': null } as const;

export interface ApprovalChange {
  body: string | null;
  subject: string | null;
  scheduled_at: Date;
  approval: ApprovalInfo;
  /** Set when the human changed the body or subject. */
  edited_at: Date | null;
  /**
   * Re-approval: move `delivery.next_attempt_at` to the new time. False while
   * a failed attempt's backoff runs: the retry keeps its wait.
   */
  reset_next_attempt: boolean;
}

export function createApprovalRepository({ Message }: Models) {
  return {
    /**
     * The first message a customer sent after `afterSequence` in a
     * conversation: an inbound email (not an auto-reply or bounce) or any sent
     * message of a customer participant. Null when there is none.
     */
    async customerMessageAfter(
      accountId: string,
      conversationId: string,
      afterSequence: number,
    ): Promise<MessageRecord | null> {
      return Message.findOne({
        account_id: accountId,
        conversation_id: conversationId,
        status: 'sent',
        sequence: { $gt: afterSequence },
        visibility: 'external',
        $or: [{ kind: 'email' }, { participant_id: { $type: 'string' } }],
        'email.auto_submitted': { $ne: true },
      })
        .sort({ sequence: 1 })
        .lean<MessageRecord>()
        .exec();
    },

    /**
     * Approve: `from` is the status and `updated_at` the caller read, so an
     * edit of a scheduled message cannot silently overwrite another one that
     * landed in between, and a draft is approved at most once.
     */
    async approve(
      accountId: string,
      messageId: string,
      from: { status: ApprovableStatus; updated_at: Date },
      change: ApprovalChange,
    ): Promise<MessageRecord | null> {
      return Message.findOneAndUpdate(
        {
          _id: messageId,
          account_id: accountId,
          status: from.status,
          updated_at: from.updated_at,
          streaming_state: { $ne: 'streaming' },
          ...NOT_BEING_SENT,
        },
        {
          $set: {
            status: messageTo('approve'),
            body: change.body,
            subject: change.subject,
            scheduled_at: change.scheduled_at,
            approval: change.approval,
            // Delivery attempts count from the first approval; a re-approval keeps the count.
            ...(from.status === 'draft'
              ? {
                  delivery: {
                    attempts: 0,
                    last_error: null,
                    next_attempt_at: change.scheduled_at,
                    sent_at: null,
                    sending_at: null,
                  },
                }
              : {}),
            ...(from.status === 'scheduled' && change.reset_next_attempt
              ? { 'delivery.next_attempt_at': change.scheduled_at }
              : {}),
            ...(change.edited_at ? { edited_at: change.edited_at } : {}),
          },
        },
        { returnDocument: 'after' },
      )
        .lean<MessageRecord>()
        .exec();
    },

    /** draft → rejected (a streaming one too: its run stops at its next save). */
    async reject(
      accountId: string,
      messageId: string,
      rejection: RejectionInfo,
      /** Only this version of the message (If-Match). */
      updatedAt?: Date,
    ): Promise<MessageRecord | null> {
      return Message.findOneAndUpdate(
        {
          _id: messageId,
          account_id: accountId,
          ...messageFrom('reject'),
          ...(updatedAt ? { updated_at: updatedAt } : {}),
        },
        { $set: { status: messageTo('reject'), rejection, streaming_state: 'complete' } },
        { returnDocument: 'after' },
      )
        .lean<MessageRecord>()
        .exec();
    },

    /** scheduled (and not yet claimed by the delivery worker) → canceled. */
    async cancel(
      accountId: string,
      messageId: string,
      cancel: CancelInfo,
      /** Only this version of the message (If-Match). */
      updatedAt?: Date,
    ): Promise<MessageRecord | null> {
      return Message.findOneAndUpdate(
        {
          _id: messageId,
          account_id: accountId,
          ...messageFrom('cancel'),
          ...NOT_BEING_SENT,
          ...(updatedAt ? { updated_at: updatedAt } : {}),
        },
        { $set: { status: messageTo('cancel'), cancel } },
        { returnDocument: 'after' },
      )
        .lean<MessageRecord>()
        .exec();
    },

    /**
     * Scheduled external email of a conversation, not claimed for sending,
     * that a human approved (or posted) before `before`: what a customer's new
     * message makes outdated. One approved after it was written was approved
     * by someone who could see it, so a replayed ingest leaves it alone.
     */
    async listOutdatedByReply(
      accountId: string,
      conversationId: string,
      before: Date,
    ): Promise<MessageRecord[]> {
      return Message.find({
        account_id: accountId,
        conversation_id: conversationId,
        ...messageFrom('cancel'),
        visibility: 'external',
        channel: 'email',
        ...NOT_BEING_SENT,
        $or: [
          { 'approval.approved_at': { $lt: before } },
          { approval: null, created_at: { $lt: before } },
        ],
      })
        .sort({ created_at: 1 })
        .lean<MessageRecord[]>()
        .exec();
    },
  };
}
