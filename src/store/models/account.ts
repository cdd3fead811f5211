import { Schema } from 'mongoose';
import type { AccountRecord } from '../records/account.ts';
import { baseOptions, requiredString, subSchema } from './common.ts';

export const accountSchema = new Schema<AccountRecord>(
  {
    _id: requiredString,
    name: requiredString,
    settings: {
      type: subSchema({ agent_runs_per_conversation_per_hour: { type: Number, required: true } }),
      required: true,
    },
  },
  baseOptions('accounts'),
);
