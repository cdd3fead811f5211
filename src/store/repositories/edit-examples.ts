// Edit examples (records/edit-example.ts): written when an edited draft is
// approved, read by the agent's later runs; redaction deletes a conversation's
// pairs (conversation-redaction.ts).
import { newId } from '../ids.ts';
import type { Models } from '../models/index.ts';
import type { EditExampleRecord } from '../records/edit-example.ts';

export type NewEditExample = Omit<EditExampleRecord, '_id' | 'created_at' | 'updated_at'>;

export function createEditExamplesRepository({ EditExample }: Models) {
  return {
    /** One per draft: a re-approval with other edits replaces the pair. */
    async record(example: NewEditExample): Promise<void> {
      await EditExample.updateOne(
        { message_id: example.message_id },
        { $set: example, $setOnInsert: { _id: newId('edx') } },
        { upsert: true },
      ).exec();
    },

    /** The agent's newest pairs, newest first. */
    async recent(accountId: string, agentId: string, limit: number): Promise<EditExampleRecord[]> {
      return EditExample.find({ account_id: accountId, agent_id: agentId })
        .sort({ created_at: -1, _id: -1 })
        .limit(limit)
        .lean<EditExampleRecord[]>()
        .exec();
    },
  };
}
