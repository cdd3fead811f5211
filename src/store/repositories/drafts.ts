// Agent drafts: a message (status draft, kind agent) that exists from the
// first streamed token and is filled in as the stream goes. Every write is
// conditional on the draft still streaming, so a superseded or aborted draft
// is never overwritten by a slow worker.
import { newId } from '../ids.ts';
import type { Models } from '../models/index.ts';
import type { CitationRecord, MessageRecord, SupersessionInfo } from '../records/message.ts';
import { messageFrom, messageTo } from './lifecycle-filters.ts';

export interface NewDraft {
  account_id: string;
  conversation_id: string;
  agent_run_id: string;
  sender_id: string;
  reply_to_id: string;
  trigger_message_id: string;
  channel: 'email' | 'message';
  subject: string | null;
  mailbox_id: string | null;
}

const STREAMING = { ...messageFrom('stream'), streaming_state: 'streaming' } as const;

export function createDraftsRepository({ Message }: Models) {
  return {
    async create(input: NewDraft): Promise<MessageRecord> {
      const created = await Message.create({
        _id: newId('msg'),
        ...input,
        kind: 'agent',
        status: 'draft',
        visibility: 'external',
        body: '',
        streaming_state: 'streaming',
      });
      return created.toObject<MessageRecord>();
    },

    /** Restart a draft's body (a retried stream); false when it no longer streams. */
    async reset(draftId: string): Promise<boolean> {
      const result = await Message.updateOne(
        { _id: draftId, ...STREAMING },
        { $set: { body: '' } },
      ).exec();
      return result.matchedCount === 1;
    },

    /** Save the body so far; false when the draft was superseded or ended meanwhile. */
    async saveBody(draftId: string, body: string): Promise<boolean> {
      const result = await Message.updateOne(
        { _id: draftId, ...STREAMING },
        { $set: { body } },
      ).exec();
      return result.matchedCount === 1;
    },

    /**
     * Finish a draft and supersede the older drafts of its conversation
     * (only older ones: a newer draft that finished first stays). Returns the
     * finished draft, or null when it had been superseded or ended meanwhile.
     */
    async complete(
      draftId: string,
      body: string,
      citations: CitationRecord[] = [],
    ): Promise<MessageRecord | null> {
      const done = await Message.findOneAndUpdate(
        { _id: draftId, ...STREAMING },
        {
          $set: {
            body,
            streaming_state: 'complete',
            ...(citations.length > 0 ? { citations } : {}),
          },
        },
        { returnDocument: 'after' },
      )
        .lean<MessageRecord>()
        .exec();
      if (!done) return null;
      await Message.updateMany(
        {
          conversation_id: done.conversation_id,
          ...messageFrom('supersede'),
          _id: { $ne: done._id },
          created_at: { $lte: done.created_at },
        },
        { $set: { status: messageTo('supersede'), streaming_state: 'complete' } },
      ).exec();
      return done;
    },

    /**
     * A human asked for a new draft: every complete draft of the conversation
     * still awaiting approval becomes superseded, with why and by whom. A
     * draft approved or rejected meanwhile is no longer a draft and stays
     * as it is. Returns the ids it superseded.
     */
    async supersedePending(
      accountId: string,
      conversationId: string,
      supersession: SupersessionInfo,
    ): Promise<string[]> {
      const filter = {
        account_id: accountId,
        conversation_id: conversationId,
        ...messageFrom('supersede'),
        streaming_state: { $ne: 'streaming' },
      } as const;
      const pending = await Message.find(filter, { _id: 1 }).lean<Array<{ _id: string }>>().exec();
      if (pending.length === 0) return [];
      const ids = pending.map((m) => m._id);
      await Message.updateMany(
        { ...filter, _id: { $in: ids } },
        { $set: { status: messageTo('supersede'), streaming_state: 'complete', supersession } },
      ).exec();
      return ids;
    },

    /** End a draft that will not be finished: superseded (aborted) or rejected (failed for good). */
    async end(
      draftId: string,
      status: 'superseded' | 'rejected',
      reason: string,
      now = new Date(),
    ): Promise<boolean> {
      const transition = status === 'rejected' ? 'reject' : 'supersede';
      const result = await Message.updateOne(
        { _id: draftId, ...messageFrom(transition) },
        {
          $set: {
            status: messageTo(transition),
            streaming_state: 'complete',
            ...(status === 'rejected'
              ? { rejection: { reason, rejected_by: null, rejected_at: now } }
              : {}),
          },
        },
      ).exec();
      return result.modifiedCount === 1;
    },
  };
}
