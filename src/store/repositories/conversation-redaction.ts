// Redaction beyond the messages themselves (message-redaction.ts): the
// customer's identity on the case, pending replies, agent runs, stored
// Idempotency-Key replies, and inbound-failure records of the same mail.
// Each step is an idempotent overwrite, so a repeated redaction finishes one
// that stopped halfway.
import type { Models } from '../models/index.ts';
import type { ConversationRecord } from '../records/conversation.ts';
import type { MessageRecord } from '../records/message.ts';
import { messageFrom, messageTo } from './lifecycle-filters.ts';
import { REDACTED, REDACTION_REASON } from './message-redaction.ts';

export interface PendingCanceled {
  drafts_rejected: number;
  scheduled_canceled: number;
}

export interface ConversationIdentity {
  /** Customer addresses (lower-case) the case held: what message ids may quote. */
  addresses: string[];
  /** The Message-IDs of the case's mail, for records kept elsewhere (failures, queues). */
  email_message_ids: string[];
}

export function createConversationRedaction({
  Conversation,
  Message,
  AgentRun,
  EditExample,
  IdempotencyKey,
  InboundFailure,
}: Models) {
  return {
    /**
     * What identifies the customer, read before anything is overwritten: the
     * addresses of customer participants and of the inbound mail's senders
     * and recipients (not the account's own: those are not personal data).
     */
    async identity(accountId: string, conversationId: string): Promise<ConversationIdentity> {
      const conversation = await Conversation.findOne({
        _id: conversationId,
        account_id: accountId,
      })
        .select({ participants: 1 })
        .lean<Pick<ConversationRecord, 'participants'>>()
        .exec();
      const messages = await Message.find({
        account_id: accountId,
        conversation_id: conversationId,
        email: { $type: 'object' },
      })
        .select({ email: 1 })
        .lean<Array<Pick<MessageRecord, 'email'>>>()
        .exec();
      const addresses = new Set<string>();
      const ids = new Set<string>();
      for (const participant of conversation?.participants ?? []) {
        if (participant.customer) addresses.add(participant.customer.address.toLowerCase());
      }
      for (const { email } of messages) {
        if (!email) continue;
        if (email.message_id) ids.add(email.message_id);
        if (email.from_self) continue;
        for (const address of [email.from, ...email.cc]) {
          if (address) addresses.add(address.address.toLowerCase());
        }
      }
      addresses.delete(REDACTED);
      return { addresses: [...addresses], email_message_ids: [...ids] };
    },

    /**
     * Nothing written before the redaction may still go out or be approved:
     * drafts (streaming ones too: their run stops at its next save) are
     * rejected, scheduled replies not yet claimed by delivery are canceled,
     * both with a fixed, content-free reason.
     */
    async cancelPending(
      accountId: string,
      conversationId: string,
      actorId: string | null,
      now: Date = new Date(),
    ): Promise<PendingCanceled> {
      const scope = { account_id: accountId, conversation_id: conversationId };
      const drafts = await Message.updateMany(
        { ...scope, ...messageFrom('reject') },
        {
          $set: {
            status: messageTo('reject'),
            streaming_state: 'complete',
            rejection: { reason: REDACTION_REASON, rejected_by: actorId, rejected_at: now },
          },
        },
      ).exec();
      const scheduled = await Message.updateMany(
        { ...scope, ...messageFrom('cancel'), 'delivery.sending_at': null },
        {
          $set: {
            status: messageTo('cancel'),
            cancel: { reason: REDACTION_REASON, canceled_by: actorId, canceled_at: now },
          },
        },
      ).exec();
      return {
        drafts_rejected: drafts.modifiedCount,
        scheduled_canceled: scheduled.modifiedCount,
      };
    },

    /** The customer's name and address on the case, and the topic's display text. */
    async eraseIdentity(accountId: string, conversationId: string): Promise<void> {
      await Conversation.updateOne(
        { _id: conversationId, account_id: accountId },
        {
          $set: {
            'participants.$[customer].customer': { name: null, address: REDACTED },
          },
        },
        { arrayFilters: [{ 'customer.customer': { $type: 'object' } }], timestamps: false },
      ).exec();
      await Conversation.updateOne(
        { _id: conversationId, account_id: accountId, topic: { $type: 'object' } },
        { $set: { 'topic.name': null, 'topic.handle': null } },
        { timestamps: false },
      ).exec();
    },

    /** Agent runs keep ids, tokens and timings; an error message may quote the model. */
    async eraseAgentRuns(accountId: string, conversationId: string): Promise<void> {
      await AgentRun.updateMany(
        { account_id: accountId, conversation_id: conversationId, error: { $type: 'object' } },
        { $set: { 'error.message': REDACTED } },
      ).exec();
      // Tool arguments and answers quote the case (order numbers, addresses):
      // the calls stay (names, statuses, timings), their content goes.
      await AgentRun.updateMany(
        {
          account_id: accountId,
          conversation_id: conversationId,
          'tool_calls.0': { $exists: true },
        },
        {
          $set: {
            'tool_calls.$[].arguments': REDACTED,
            'tool_calls.$[].result': null,
            'tool_calls.$[].error': null,
          },
        },
      ).exec();
      await AgentRun.updateMany(
        {
          account_id: accountId,
          conversation_id: conversationId,
          'proposed_actions.0': { $exists: true },
        },
        {
          $set: {
            'proposed_actions.$[].arguments': REDACTED,
            'proposed_actions.$[].result': null,
            'proposed_actions.$[].error': null,
          },
        },
      ).exec();
      // The draft/approved pairs quote the conversation: they go entirely.
      await EditExample.deleteMany({
        account_id: accountId,
        conversation_id: conversationId,
      }).exec();
    },

    /**
     * Stored responses of requests about this conversation or its messages
     * become `redacted`: a replay answers 410 instead of the erased text, and
     * does not run again either (the key stays taken). `keepId` is the
     * redaction request's own reservation.
     */
    async eraseReplies(
      accountId: string,
      conversationId: string,
      messageIds: readonly string[],
      keepId: string | null,
    ): Promise<number> {
      const paths = [`/v1/messaging/conversations/${conversationId}`];
      for (const id of messageIds) paths.push(`/v1/messaging/messages/${id}`);
      const ofPath = paths.map((path) => ({ path: { $regex: `^${escapeRegex(path)}([/?]|$)` } }));
      const result = await IdempotencyKey.updateMany(
        {
          account_id: accountId,
          state: { $ne: 'redacted' },
          ...(keepId ? { _id: { $ne: keepId } } : {}),
          $or: [...ofPath, { response_body: { $regex: escapeRegex(`"${conversationId}"`) } }],
          // Earlier redactions' replies hold only the redacted case: they stay replayable.
          $nor: [{ path: { $regex: `^${escapeRegex(`${paths[0]}/actions/redact`)}([?]|$)` } }],
        },
        {
          $set: {
            state: 'redacted',
            request_hash: REDACTED,
            response_body: null,
            content_type: null,
            status: null,
            lock_token: null,
            locked_at: null,
          },
        },
      ).exec();
      return result.modifiedCount;
    },

    /** Raw sources held by failure records of the case's mail (an attempt that failed, a replay). */
    async inboundFailureFiles(
      accountId: string,
      emailMessageIds: readonly string[],
    ): Promise<string[]> {
      if (emailMessageIds.length === 0) return [];
      const records = await InboundFailure.find({
        account_id: accountId,
        message_id: { $in: [...emailMessageIds] },
        raw_source_id: { $type: 'string' },
      })
        .select({ raw_source_id: 1 })
        .lean<Array<{ raw_source_id: string | null }>>()
        .exec();
      return records.map((r) => r.raw_source_id).filter((id): id is string => Boolean(id));
    },

    /** Those records, once their files are gone: no source, and no reason (it may quote the mail). */
    async eraseInboundFailures(
      accountId: string,
      emailMessageIds: readonly string[],
    ): Promise<void> {
      if (emailMessageIds.length === 0) return;
      await InboundFailure.updateMany(
        { account_id: accountId, message_id: { $in: [...emailMessageIds] } },
        { $set: { raw_source_id: null, reason: REDACTED } },
      ).exec();
    },
  };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
