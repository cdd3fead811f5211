// Unread per reader. Sequences are gap-free (only sent messages carry one),
// so the messages after a reader's marker number `last_sequence - marker`;
// what the reader wrote themselves is taken off, found through the
// {conversation_id, author_id, sequence} index: only the reader's own
// messages after the marker are read, never the conversation's others.
import type { QueryFilter } from 'mongoose';
import { isDuplicateKeyError } from '../errors.ts';
import type { Models } from '../models/index.ts';
import type { ConversationRecord } from '../records/conversation.ts';
import type { MessageRecord } from '../records/message.ts';
import type { ReadMarkerRecord } from '../records/read-marker.ts';

type Counted = Pick<ConversationRecord, '_id' | 'last_sequence'>;

export function createReadMarkersRepository({ ReadMarker, Message }: Models) {
  return {
    /**
     * The reader has read up to `upTo`. Markers only move forward: a late or
     * repeated mark-read of an older sequence changes nothing.
     */
    async markRead(
      accountId: string,
      conversationId: string,
      readerId: string,
      upTo: number,
    ): Promise<void> {
      const write = () =>
        ReadMarker.updateOne(
          { reader_id: readerId, conversation_id: conversationId, account_id: accountId },
          {
            $max: { last_read_sequence: upTo },
            $setOnInsert: { _id: `${conversationId}:${readerId}` },
          },
          { upsert: true },
        ).exec();
      try {
        await write();
      } catch (error) {
        // Two first mark-reads at once: the loser's insert collides, and its
        // update then finds the winner's marker.
        if (!isDuplicateKeyError(error)) throw error;
        await write();
      }
    },

    /** Unread messages per conversation id for one reader: two queries per page, whatever its size. */
    async unreadCounts(
      accountId: string,
      readerId: string,
      conversations: readonly Counted[],
    ): Promise<Map<string, number>> {
      const counts = new Map<string, number>();
      if (conversations.length === 0) return counts;
      const markers = await ReadMarker.find({
        reader_id: readerId,
        conversation_id: { $in: conversations.map((c) => c._id) },
        account_id: accountId,
      })
        .select({ conversation_id: 1, last_read_sequence: 1 })
        .lean<Array<Pick<ReadMarkerRecord, 'conversation_id' | 'last_read_sequence'>>>()
        .exec();
      const readUpTo = new Map(markers.map((m) => [m.conversation_id, m.last_read_sequence]));
      const open = conversations.filter((c) => c.last_sequence > (readUpTo.get(c._id) ?? 0));
      for (const c of conversations) counts.set(c._id, 0);
      if (open.length === 0) return counts;
      const own = await Message.find({
        account_id: accountId,
        author_id: readerId,
        $or: open.map((c) => ({
          conversation_id: c._id,
          sequence: { $gt: readUpTo.get(c._id) ?? 0 },
        })),
      } as QueryFilter<MessageRecord>)
        .select({ conversation_id: 1 })
        .lean<Array<Pick<MessageRecord, 'conversation_id'>>>()
        .exec();
      const ownAfter = new Map<string, number>();
      for (const m of own)
        ownAfter.set(m.conversation_id, (ownAfter.get(m.conversation_id) ?? 0) + 1);
      for (const c of open) {
        const after = c.last_sequence - (readUpTo.get(c._id) ?? 0);
        counts.set(c._id, Math.max(0, after - (ownAfter.get(c._id) ?? 0)));
      }
      return counts;
    },
  };
}
