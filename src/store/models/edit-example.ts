import { Schema } from 'mongoose';
import type { EditExampleRecord } from '../records/edit-example.ts';
import { baseOptions, requiredString } from './common.ts';

export const editExampleSchema = new Schema<EditExampleRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    agent_id: requiredString,
    conversation_id: requiredString,
    message_id: requiredString,
    trigger_text: { type: String, default: '' },
    draft: { type: String, default: '' },
    approved: { type: String, default: '' },
    edit_ratio: { type: Number, default: 0 },
  },
  baseOptions('edit_examples'),
);

editExampleSchema.index({ message_id: 1 }, { unique: true });
// A run reads its agent's newest pairs.
editExampleSchema.index({ account_id: 1, agent_id: 1, created_at: -1 });
editExampleSchema.index({ conversation_id: 1 });
