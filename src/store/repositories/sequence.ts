import type { Model, QueryFilter } from 'mongoose';
import type { MessageRecord } from '../records/message.ts';

/**
 * The next free sequence of a conversation: the highest stored one + 1, read
 * through the {conversation_id, sequence} index. Only a candidate: the unique
 * index decides when the message is written, and the loser of a race reads again.
 */
export async function nextSequence(
  Message: Model<MessageRecord>,
  conversationId: string,
): Promise<number> {
  // `$type: 'number'` repeats the index's partial filter so the planner can use
  // it; mongoose's types lack the 'number' alias (int, long, double, decimal).
  const filter = { conversation_id: conversationId, sequence: { $type: 'number' } };
  const last = await Message.findOne(filter as QueryFilter<MessageRecord>)
    .sort({ sequence: -1 })
    .select({ sequence: 1 })
    .lean<Pick<MessageRecord, 'sequence'>>()
    .exec();
  return (last?.sequence ?? 0) + 1;
}
