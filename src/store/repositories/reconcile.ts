// What the reconciler compares with Redis: the work MongoDB says is pending.
// Read in pages ordered by _id (the caller passes the last id it saw), so a
// pass over many documents never holds them all nor a long-lived cursor.
import type { Models } from '../models/index.ts';
import type { AgentRunRecord } from '../records/agent-run.ts';
import type { MessageRecord } from '../records/message.ts';
import { LIVE_RUNS, messageFrom, messageTo } from './lifecycle-filters.ts';

export function createReconcileRepository({ Message, AgentRun }: Models) {
  const afterFilter = (afterId: string | null) => (afterId ? { _id: { $gt: afterId } } : {});

  return {
    /**
     * Scheduled messages last changed before `settledBefore` (younger ones
     * are still being handed to the queue by the request that changed them).
     */
    async scheduledMessages(
      afterId: string | null,
      limit: number,
      settledBefore: Date,
    ): Promise<MessageRecord[]> {
      return Message.find({
        ...messageFrom('deliver'),
        updated_at: { $lt: settledBefore },
        ...afterFilter(afterId),
      })
        .sort({ _id: 1 })
        .limit(limit)
        .lean<MessageRecord[]>()
        .exec();
    },

    /** Drafts still marked as streaming. */
    async streamingDrafts(afterId: string | null, limit: number): Promise<MessageRecord[]> {
      return Message.find({
        ...messageFrom('stream'),
        streaming_state: 'streaming',
        ...afterFilter(afterId),
      })
        .sort({ _id: 1 })
        .limit(limit)
        .lean<MessageRecord[]>()
        .exec();
    },

    /** Agent runs queued or running, last changed before `settledBefore`. */
    async liveRuns(
      afterId: string | null,
      limit: number,
      settledBefore: Date,
    ): Promise<AgentRunRecord[]> {
      return AgentRun.find({
        ...LIVE_RUNS,
        updated_at: { $lt: settledBefore },
        ...afterFilter(afterId),
      })
        .sort({ _id: 1 })
        .limit(limit)
        .lean<AgentRunRecord[]>()
        .exec();
    },

    /**
     * End a draft left streaming: only while it still streams, so a draft
     * that completed meanwhile (and awaits approval) is never touched.
     */
    async endStreamingDraft(
      draftId: string,
      status: 'superseded' | 'rejected',
      reason: string,
      now = new Date(),
    ): Promise<MessageRecord | null> {
      const transition = status === 'rejected' ? 'reject' : 'supersede';
      return Message.findOneAndUpdate(
        { _id: draftId, ...messageFrom(transition), streaming_state: 'streaming' },
        {
          $set: {
            status: messageTo(transition),
            streaming_state: 'complete',
            ...(status === 'rejected'
              ? { rejection: { reason, rejected_by: null, rejected_at: now } }
              : {}),
          },
        },
        { returnDocument: 'after' },
      )
        .lean<MessageRecord>()
        .exec();
    },
  };
}
