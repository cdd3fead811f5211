// Message reads the posting and realtime endpoints need beyond messages.ts:
// a client's retried POST, and what changed while an SSE client was away.
import type { Models } from '../models/index.ts';
import type { MessageRecord } from '../records/message.ts';

// A client away so long that more than this many messages changed gets the
// newest ones; it is better off reloading the timeline anyway.
const MAX_CHANGED = 500;

export function createMessageLookups({ Message }: Models) {
  return {
    /** Messages by id in one account (the reply_to expansion); unknown ids are absent. */
    async getMany(accountId: string, ids: Iterable<string | null>): Promise<MessageRecord[]> {
      const wanted = [...new Set([...ids].filter((id): id is string => Boolean(id)))];
      if (wanted.length === 0) return [];
      return Message.find({ _id: { $in: wanted }, account_id: accountId })
        .lean<MessageRecord[]>()
        .exec();
    },

    /** The message a client already posted with this client_message_id (the dedupe key). */
    async findByClientMessageId(
      accountId: string,
      conversationId: string,
      clientMessageId: string,
    ): Promise<MessageRecord | null> {
      return Message.findOne({
        conversation_id: conversationId,
        client_message_id: clientMessageId,
        account_id: accountId,
      })
        .lean<MessageRecord>()
        .exec();
    },

    /**
     * Messages of a conversation changed at or after `since` (drafts and
     * scheduled ones included): the latest 500 changes, oldest first.
     */
    async listChangedSince(
      accountId: string,
      conversationId: string,
      since: Date,
    ): Promise<MessageRecord[]> {
      const newestFirst = await Message.find({
        conversation_id: conversationId,
        account_id: accountId,
        updated_at: { $gte: since },
      })
        .sort({ updated_at: -1, _id: -1 })
        .limit(MAX_CHANGED)
        .lean<MessageRecord[]>()
        .exec();
      return newestFirst.reverse();
    },
  };
}
