// The writes of outbound delivery (src/delivery/): each is one conditional
// update on the message's status, so a cancel, a re-approval or a second
// worker racing a delivery can never both win. Only `scheduled` messages move.
import type { QueryFilter } from 'mongoose';
import { MESSAGE_LIFECYCLE } from '../../conversations/message-lifecycle.ts';
import { isDuplicateKeyError } from '../errors.ts';
import { bareMessageId } from '../ids.ts';
import { UNIQUE_INDEX } from '../index-names.ts';
import type { Models } from '../models/index.ts';
import type {
  DeliveryError,
  DeliveryEvent,
  DeliveryState,
  EmailMeta,
  MessageRecord,
} from '../records/message.ts';
import { createKeyedLock } from './keyed-lock.ts';
import { messageFrom, messageTo } from './lifecycle-filters.ts';
import { nextSequence } from './sequence.ts';

/** The outbound email headers fixed before the first attempt (ids without angle brackets). */
export type OutboundEmailMeta = Pick<
  EmailMeta,
  'message_id' | 'in_reply_to' | 'references' | 'from' | 'to' | 'cc' | 'subject' | 'date'
> & { message_id: string };

const EMPTY_DELIVERY: Required<DeliveryState> = {
  attempts: 0,
  last_error: null,
  next_attempt_at: null,
  sent_at: null,
  sending_at: null,
  sent_checks: 0,
  budget_start: 0,
  retries: 0,
  history: [],
};

function event(
  outcome: DeliveryEvent['outcome'],
  attempt: number | null,
  error: DeliveryError | null,
  at: Date,
): DeliveryEvent {
  return { attempt, outcome, at, error, by: null };
}

// As appendSent: each round of the sequence race has one winner.
const MAX_SEQUENCE_ATTEMPTS = 100;

/**
 * The message as the caller last read it: lets a write skip a read or a
 * preparatory step where that copy settles the question (see each method).
 */
type SeenMessage = Pick<MessageRecord, '_id' | 'account_id' | 'delivery'>;

/** The email a message is sent with: its headers fixed by `meta`, the rest kept from `current`. */
function outboundEmail(current: EmailMeta | null, meta: OutboundEmailMeta): EmailMeta {
  return {
    auto_submitted: false,
    auto_submitted_reason: null,
    ...(current ?? {}),
    ...meta,
    message_id: bareMessageId(meta.message_id),
    in_reply_to: meta.in_reply_to && bareMessageId(meta.in_reply_to),
    references: meta.references.map(bareMessageId),
  };
}

/** A scheduled message that is due: scheduled_at and any retry's next_attempt_at reached. */
function dueFilter(accountId: string, messageId: string, now: Date): QueryFilter<MessageRecord> {
  return {
    _id: messageId,
    account_id: accountId,
    ...messageFrom('attempt'),
    $and: [
      { $or: [{ scheduled_at: null }, { scheduled_at: { $lte: now } }] },
      {
        $or: [{ 'delivery.next_attempt_at': null }, { 'delivery.next_attempt_at': { $lte: now } }],
      },
    ],
  };
}

export function createDeliveryRepository({ Message, Conversation }: Models) {
  const sequenceLock = createKeyedLock();

  /** `$set`/`$inc` on `delivery.x` fail on a null `delivery`: give it its empty shape first. */
  async function ensureDelivery(accountId: string, messageId: string): Promise<void> {
    await Message.updateOne(
      { _id: messageId, account_id: accountId, delivery: null },
      { $set: { delivery: EMPTY_DELIVERY } },
      { timestamps: false },
    ).exec();
  }

  /** Apply a delivery transition (attempt bookkeeping, fail, cancel) with `set`. */
  async function scheduledUpdate(
    transition: 'attempt' | 'fail' | 'cancel',
    accountId: string,
    messageId: string,
    set: Record<string, unknown>,
    /** Appended to delivery.history in the same write. */
    happened?: DeliveryEvent,
    /** The caller knows the message has its delivery state (after beginAttempt). */
    hasDelivery = false,
  ): Promise<MessageRecord | null> {
    if (!hasDelivery) await ensureDelivery(accountId, messageId);
    return Message.findOneAndUpdate(
      { _id: messageId, account_id: accountId, ...messageFrom(transition) },
      {
        $set: { ...set, status: messageTo(transition) },
        ...(happened ? { $push: { 'delivery.history': happened } } : {}),
      },
      { returnDocument: 'after' },
    )
      .lean<MessageRecord>()
      .exec();
  }

  return {
    /**
     * Store the outbound headers once: only while the message has no
     * Message-ID, so retries and a restarted process reuse the first one.
     * Returns the message as stored afterwards (a racing worker's meta if it
     * won), or null when the message is gone or no longer scheduled.
     * `seen`, the message as the caller read it, saves reading it again
     * while it is still that version (same updated_at).
     */
    async fixEmailMeta(
      accountId: string,
      messageId: string,
      meta: OutboundEmailMeta,
      seen?: Pick<MessageRecord, 'status' | 'email' | 'updated_at'>,
    ): Promise<MessageRecord | null> {
      const setEmail = (email: EmailMeta, version: Record<string, unknown> = {}) =>
        Message.findOneAndUpdate(
          {
            _id: messageId,
            account_id: accountId,
            ...messageFrom('attempt'),
            'email.message_id': { $exists: false },
            ...version,
          },
          { $set: { email } },
          { returnDocument: 'after' },
        )
          .lean<MessageRecord>()
          .exec();
      const attemptable = (m: Pick<MessageRecord, 'status'> | null | undefined) =>
        m != null && MESSAGE_LIFECYCLE.canApply('attempt', m.status);
      if (seen && attemptable(seen) && !seen.email?.message_id) {
        const fixed = await setEmail(outboundEmail(seen.email, meta), {
          updated_at: seen.updated_at,
        });
        if (fixed) return fixed;
      }
      const current = await Message.findOne({ _id: messageId, account_id: accountId })
        .lean<MessageRecord>()
        .exec();
      if (!current || !attemptable(current)) return null;
      if (current.email?.message_id) return current;
      const fixed = await setEmail(outboundEmail(current.email, meta));
      if (fixed) return fixed;
      const after = await Message.findOne({ _id: messageId, account_id: accountId })
        .lean<MessageRecord>()
        .exec();
      return attemptable(after) ? after : null;
    },

    /**
     * Begin an attempt: `delivery.attempts` + 1 and `sending_at` = now, only
     * while scheduled and due (scheduled_at and next_attempt_at reached), so
     * the count in MongoDB is the number of attempts begun. `subject` is the
     * one this attempt sends (a re-approval may have edited it), `recipients`
     * whom it sends to when that changed (own addresses taken out). Null: not
     * scheduled any more, or not due (re-approved for later meanwhile).
     */
    async beginAttempt(
      message: SeenMessage,
      subject: string,
      recipients?: Pick<EmailMeta, 'to' | 'cc'>,
      now: Date = new Date(),
    ): Promise<MessageRecord | null> {
      const { _id: messageId, account_id: accountId } = message;
      const email = {
        'email.subject': subject,
        ...(recipients ? { 'email.to': recipients.to, 'email.cc': recipients.cc } : {}),
      };
      if (!message.delivery) {
        // Never attempted: the whole delivery state in one write, where
        // ensureDelivery and the count below take two (they still run when
        // this finds the message changed, e.g. given a delivery meanwhile).
        const first = await Message.findOneAndUpdate(
          { ...dueFilter(accountId, messageId, now), delivery: null },
          {
            $set: {
              delivery: { ...EMPTY_DELIVERY, attempts: 1, sending_at: now },
              ...email,
            },
          },
          { returnDocument: 'after' },
        )
          .lean<MessageRecord>()
          .exec();
        if (first) return first;
      }
      // A delivery state, once set, never goes back to null: the caller's copy settles it.
      if (!message.delivery) await ensureDelivery(accountId, messageId);
      return Message.findOneAndUpdate(
        dueFilter(accountId, messageId, now),
        {
          $inc: { 'delivery.attempts': 1 },
          $set: {
            'delivery.sending_at': now,
            'delivery.next_attempt_at': null,
            'delivery.sent_checks': 0,
            ...email,
          },
        },
        { returnDocument: 'after' },
      )
        .lean<MessageRecord>()
        .exec();
    },

    /** A transient failure: keep it scheduled, with the error and when the next attempt is due. */
    async recordRetry(
      accountId: string,
      messageId: string,
      error: DeliveryError,
      nextAttemptAt: Date,
      /** The attempt that failed (delivery.attempts after beginAttempt). */
      attempt: number,
      now: Date = new Date(),
    ): Promise<MessageRecord | null> {
      return scheduledUpdate(
        'attempt',
        accountId,
        messageId,
        {
          'delivery.last_error': error,
          'delivery.next_attempt_at': nextAttemptAt,
          'delivery.sending_at': null,
        },
        event('will_retry', attempt, error, now),
        // Only after beginAttempt, which gave the message its delivery state.
        true,
      );
    },

    /**
     * A look in the Sent folder for an interrupted attempt failed: count it and
     * look again at `nextCheckAt`. Only while that same attempt is the one left
     * unrecorded (same `sending_at`), so a stale run cannot count against a new one.
     */
    async recordSentCheckFailure(
      message: SeenMessage,
      error: DeliveryError,
      nextCheckAt: Date,
    ): Promise<MessageRecord | null> {
      const sendingAt = message.delivery?.sending_at;
      if (!sendingAt) return null;
      return Message.findOneAndUpdate(
        {
          _id: message._id,
          account_id: message.account_id,
          ...messageFrom('attempt'),
          'delivery.sending_at': sendingAt,
        },
        {
          $inc: { 'delivery.sent_checks': 1 },
          $set: { 'delivery.last_error': error, 'delivery.next_attempt_at': nextCheckAt },
        },
        { returnDocument: 'after' },
      )
        .lean<MessageRecord>()
        .exec();
    },

    /** Failed for good (permanent error or attempts used up). */
    async markFailed(
      accountId: string,
      messageId: string,
      error: DeliveryError,
      /** The attempt that failed; null when the message was refused before one began. */
      attempt: number | null = null,
      now: Date = new Date(),
    ): Promise<MessageRecord | null> {
      return scheduledUpdate(
        'fail',
        accountId,
        messageId,
        {
          'delivery.last_error': error,
          'delivery.next_attempt_at': null,
          'delivery.sending_at': null,
        },
        event('failed', attempt, error, now),
      );
    },

    /**
     * failed → scheduled for a new try (the retry action): a fresh attempt
     * budget starts at the attempts made so far, which keep counting, and the
     * history keeps every earlier attempt. The stored Message-ID stays, so the
     * customer's mail client threads (and dedupes) the mail as the same reply.
     * Only this version of the message when `updatedAt` is given (If-Match).
     */
    async retryFailed(
      seen: SeenMessage & Pick<MessageRecord, 'updated_at'>,
      by: string,
      /** Only the version the caller read (If-Match); else any failed version. */
      versioned: boolean,
      now: Date = new Date(),
    ): Promise<MessageRecord | null> {
      const { _id: messageId, account_id: accountId } = seen;
      await ensureDelivery(accountId, messageId);
      // A failed message's attempt count no longer moves: the one read is the
      // one the new budget starts from, checked in the same write.
      const attempts = seen.delivery?.attempts ?? 0;
      return Message.findOneAndUpdate(
        {
          _id: messageId,
          account_id: accountId,
          ...messageFrom('retry'),
          'delivery.attempts': attempts,
          ...(versioned ? { updated_at: seen.updated_at } : {}),
        },
        {
          $set: {
            status: messageTo('retry'),
            scheduled_at: now,
            'delivery.budget_start': attempts,
            'delivery.next_attempt_at': now,
            'delivery.sending_at': null,
            'delivery.sent_checks': 0,
          },
          $inc: { 'delivery.retries': 1 },
          $push: { 'delivery.history': { ...event('retried', null, null, now), by } },
        },
        { returnDocument: 'after' },
      )
        .lean<MessageRecord>()
        .exec();
    },

    /** Canceled by delivery itself (e.g. the conversation was redacted before sending). */
    async cancel(
      accountId: string,
      messageId: string,
      reason: string,
      now: Date = new Date(),
    ): Promise<MessageRecord | null> {
      return scheduledUpdate('cancel', accountId, messageId, {
        cancel: { reason, canceled_by: null, canceled_at: now },
        'delivery.next_attempt_at': null,
        'delivery.sending_at': null,
      });
    },

    /**
     * Move a scheduled message to `sent` with the conversation's next
     * sequence, gap-free as appendSent: the highest stored sequence + 1, the
     * unique {conversation_id, sequence} index arbitrating races (the loser
     * reads again), so no number is taken unless its message holds it. Then
     * the conversation's last message follows (forward only). Null when the
     * message is gone or no longer scheduled (canceled meanwhile, or already
     * sent). A message never changes conversation, and its `delivery` never
     * goes back to null once set, so the caller's copy tells both.
     */
    async markSent(
      message: SeenMessage & Pick<MessageRecord, 'conversation_id'>,
      sentAt: Date = new Date(),
    ): Promise<MessageRecord | null> {
      const { _id: messageId, account_id: accountId } = message;
      if (!message.delivery) await ensureDelivery(accountId, messageId);
      const attempts = message.delivery?.attempts ?? 0;
      return sequenceLock(message.conversation_id, async () => {
        for (let attempt = 1; ; attempt++) {
          const sequence = await nextSequence(Message, message.conversation_id);
          try {
            const sent = await Message.findOneAndUpdate(
              { _id: messageId, account_id: accountId, ...messageFrom('deliver') },
              {
                $set: {
                  status: messageTo('deliver'),
                  sequence,
                  'delivery.sent_at': sentAt,
                  'delivery.last_error': null,
                  'delivery.next_attempt_at': null,
                  'delivery.sending_at': null,
                },
                // In-conversation messages make no attempt: their entry has none.
                $push: {
                  'delivery.history': event('sent', attempts || null, null, sentAt),
                },
              },
              { returnDocument: 'after' },
            )
              .lean<MessageRecord>()
              .exec();
            if (sent) await markLastMessage(sent, sequence, sentAt);
            return sent;
          } catch (error) {
            const raced = isDuplicateKeyError(error, UNIQUE_INDEX.messageSequence);
            if (!raced || attempt >= MAX_SEQUENCE_ATTEMPTS) throw error;
          }
        }
      });
    },

    /**
     * Record that mail went out for a message that is no longer scheduled
     * (canceled while its attempt was in flight): the status stays, the fact
     * that the customer got it does not get lost.
     */
    async recordLateSend(
      accountId: string,
      messageId: string,
      sentAt: Date,
    ): Promise<MessageRecord | null> {
      await ensureDelivery(accountId, messageId);
      return Message.findOneAndUpdate(
        { _id: messageId, account_id: accountId, 'delivery.sent_at': null },
        { $set: { 'delivery.sent_at': sentAt, 'delivery.sending_at': null } },
        { returnDocument: 'after' },
      )
        .lean<MessageRecord>()
        .exec();
    },

    /**
     * The newest customer email of a conversation (what a reply without
     * reply_to_id answers): not a copy of our own mail stored in the case.
     */
    async newestInbound(accountId: string, conversationId: string): Promise<MessageRecord | null> {
      return Message.findOne({
        account_id: accountId,
        conversation_id: conversationId,
        kind: 'email',
        status: 'sent',
        'email.message_id': { $type: 'string' },
        'email.from_self': { $ne: true },
      })
        .sort({ sequence: -1 })
        .lean<MessageRecord>()
        .exec();
    },

    /** Set the case's first_response_at unless it already has one; true when this call set it. */
    async setFirstResponse(accountId: string, conversationId: string, at: Date): Promise<boolean> {
      const result = await Conversation.updateOne(
        { _id: conversationId, account_id: accountId, first_response_at: null },
        { $set: { first_response_at: at } },
      ).exec();
      return result.modifiedCount === 1;
    },

    /**
     * Scheduled messages whose attempt began before `startedBefore` and never
     * recorded an outcome: left mid-send by a crashed process (for the reconciler).
     */
    async listInterrupted(startedBefore: Date, limit = 100): Promise<MessageRecord[]> {
      return Message.find({
        ...messageFrom('attempt'),
        'delivery.sending_at': { $type: 'date', $lt: startedBefore },
      })
        .sort({ 'delivery.sending_at': 1 })
        .limit(limit)
        .lean<MessageRecord[]>()
        .exec();
    },
  };

  /** As messages.ts: the denormalised pointer only moves forward. */
  async function markLastMessage(
    message: MessageRecord,
    sequence: number,
    sentAt: Date,
  ): Promise<void> {
    await Conversation.updateOne(
      {
        _id: message.conversation_id,
        account_id: message.account_id,
        last_sequence: { $lt: sequence },
      },
      {
        $set: { last_sequence: sequence, last_message_id: message._id, last_message_at: sentAt },
      },
    ).exec();
  }
}
