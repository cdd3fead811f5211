// The store operations of the inbound bridge: finding and opening cases for
// inbound mail, recording a customer's message on its case, and keeping ingest
// jobs that failed for good. Each is a single-document atomic write, so the
// ingest needs no transaction and a retried job converges on the same state.
import { isDuplicateKeyError } from '../errors.ts';
import { newId } from '../ids.ts';
import { UNIQUE_INDEX } from '../index-names.ts';
import type { InboundFailureRecord } from '../models/inbound-failure.ts';
import type { Models } from '../models/index.ts';
import { createAuditRepository } from './audit.ts';
import type {
  ConversationRecord,
  CustomerRef,
  ParticipantRecord,
} from '../records/conversation.ts';
import type { WorkflowStatus } from '../records/enums.ts';
import { createConversationsRepository, type NewConversation } from './conversations.ts';

export type { InboundFailureRecord };

export interface WorkflowUpdate {
  workflow_status: WorkflowStatus;
  closed_at?: Date | null;
}

export function createInboundRepository(models: Models) {
  const { Conversation, InboundFailure, Message } = models;
  const audit = createAuditRepository(models);
  const conversations = createConversationsRepository(models);

  return {
    async findByCaseNumber(
      accountId: string,
      caseNumber: number,
    ): Promise<ConversationRecord | null> {
      return Conversation.findOne({ account_id: accountId, case_number: caseNumber })
        .lean<ConversationRecord>()
        .exec();
    },

    /**
     * Open the case of a new thread, claimed by its root (`email_thread.root_message_id`,
     * or `root_key` for a mail reusing a Message-ID). When another worker opened
     * it first (the same mail delivered twice at once), returns that case
     * instead. Null when the Message-ID is the root of a case opened by a
     * different mail (another `root_hash`): the caller's mail reuses that id.
     */
    async openThread(
      input: NewConversation & { mailbox_id: string },
    ): Promise<ConversationRecord | null> {
      const thread = input.email_thread;
      try {
        return await conversations.create(input);
      } catch (error) {
        const byKey = isDuplicateKeyError(error, UNIQUE_INDEX.threadRootKey);
        if (!thread || (!byKey && !isDuplicateKeyError(error, UNIQUE_INDEX.threadRoot))) {
          throw error;
        }
        const existing = await Conversation.findOne({
          account_id: input.account_id,
          mailbox_id: input.mailbox_id,
          ...(byKey
            ? { 'email_thread.root_key': thread.root_key }
            : { 'email_thread.root_message_id': thread.root_message_id }),
        })
          .lean<ConversationRecord>()
          .exec();
        if (!existing) throw error;
        // A case opened before root hashes were kept is taken for this mail's, as it always was.
        const theirs = existing.email_thread?.root_hash;
        if (!byKey && theirs && thread.root_hash && theirs !== thread.root_hash) return null;
        return existing;
      }
    },

    /** Add a customer participant unless one with that address is already there. */
    async addCustomer(
      conversation: ConversationRecord,
      customer: CustomerRef,
      now: Date,
    ): Promise<void> {
      const participant: ParticipantRecord = {
        _id: newId('par'),
        type: 'customer',
        role: 'member',
        membership: 'active',
        notifications: 'unmuted',
        actor_id: null,
        customer: { name: customer.name, address: customer.address.toLowerCase() },
        agent_trigger_policy: null,
        agent_trigger_keywords: [],
        joined_at: now,
      };
      await Conversation.updateOne(
        {
          _id: conversation._id,
          account_id: conversation.account_id,
          'participants.customer.address': { $ne: participant.customer?.address },
        },
        { $push: { participants: participant } },
      ).exec();
    },

    /**
     * Count a new message as unread and move the workflow. The move is computed
     * from the status read by the caller and applied only if it is still that
     * status; returns false when someone else moved it first (re-read, retry).
     */
    async recordMessage(
      conversation: Pick<ConversationRecord, '_id' | 'account_id' | 'workflow_status'>,
      workflow: WorkflowUpdate | null,
    ): Promise<boolean> {
      const set: Record<string, unknown> = {};
      if (workflow) {
        set.workflow_status = workflow.workflow_status;
        if (workflow.closed_at !== undefined) set.closed_at = workflow.closed_at;
      }
      const result = await Conversation.updateOne(
        {
          _id: conversation._id,
          account_id: conversation.account_id,
          workflow_status: conversation.workflow_status,
        },
        { $inc: { unread: 1 }, ...(Object.keys(set).length ? { $set: set } : {}) },
      ).exec();
      if (result.matchedCount === 1 && workflow) {
        await audit.workflowMoved({
          account_id: conversation.account_id,
          conversation_id: conversation._id,
          before: conversation.workflow_status,
          after: workflow.workflow_status,
        });
      }
      return result.matchedCount === 1;
    },

    /**
     * Take over an inbound message's unfinished effects (see
     * `ingest_pending_since`) when whoever stored it has been at it since
     * `staleBefore` or longer: it most likely died. Atomic, so only one job
     * finishes them; false when they are settled or still fresh.
     */
    async claimUnsettled(messageId: string, staleBefore: Date, now: Date): Promise<boolean> {
      const result = await Message.updateOne(
        { _id: messageId, ingest_pending_since: { $ne: null, $lte: staleBefore } },
        { $set: { ingest_pending_since: now } },
      ).exec();
      return result.modifiedCount === 1;
    },

    /** Whether the bounce alert for this inbound message was already posted. */
    async hasAlertFor(triggerMessageId: string): Promise<boolean> {
      return (
        (await Message.exists({ trigger_message_id: triggerMessageId, kind: 'alert' })) !== null
      );
    },

    /** The message's effects on its case are recorded. */
    async settle(messageId: string): Promise<void> {
      await Message.updateOne({ _id: messageId }, { $set: { ingest_pending_since: null } }).exec();
    },

    /** Keep an ingest job that failed for good, or a quarantined mail (idempotent per job). */
    async recordFailure(
      failure: Omit<InboundFailureRecord, '_id' | 'created_at' | 'updated_at' | 'resolved_at'>,
    ): Promise<void> {
      await InboundFailure.updateOne(
        { job_id: failure.job_id },
        { $set: failure, $setOnInsert: { _id: newId('inf'), resolved_at: null } },
        { upsert: true },
      ).exec();
    },

    /** The record kept for an ingest job, if any. */
    async failureOfJob(jobId: string): Promise<InboundFailureRecord | null> {
      return InboundFailure.findOne({ job_id: jobId }).lean<InboundFailureRecord>().exec();
    },

    async listFailures(accountId: string, limit = 100): Promise<InboundFailureRecord[]> {
      return InboundFailure.find({ account_id: accountId, resolved_at: null })
        .sort({ failed_at: -1 })
        .limit(limit)
        .lean<InboundFailureRecord[]>()
        .exec();
    },
  };
}

export type InboundRepository = ReturnType<typeof createInboundRepository>;
