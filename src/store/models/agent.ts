import { Schema } from 'mongoose';
import { AGENT_STATUSES, RECORD_SOURCES, TRIGGER_POLICIES } from '../../conversations/enums.ts';
import { UNIQUE_INDEX } from '../index-names.ts';
import type { AgentRecord } from '../records/agent.ts';
import {
  baseOptions,
  enumOf,
  enumWithDefault,
  nullableNumber,
  nullableString,
  requiredString,
} from './common.ts';

// One flat sub-schema for both provider types: a discriminated union in a
// nested path costs more mongoose machinery than it saves. No api_key field:
// a plaintext key never reaches the database, only a sealed one.
const providerSchema = new Schema(
  {
    type: enumOf(['openai', 'template']),
    base_url: nullableString,
    model: nullableString,
    temperature: nullableNumber,
    max_output_tokens: nullableNumber,
    template: nullableString,
    credential: nullableString,
    api_key_sealed: nullableString,
  },
  { _id: false, minimize: false, strict: 'throw', id: false },
);

export const agentSchema = new Schema<AgentRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    key: requiredString,
    name: requiredString,
    handle: requiredString,
    handle_lower: requiredString,
    provider: { type: providerSchema, required: true },
    instructions: { type: String, default: '' },
    instructions_version: requiredString,
    trigger_policy: enumOf(TRIGGER_POLICIES),
    trigger_keywords: { type: [String], default: [] },
    status: enumWithDefault(AGENT_STATUSES, 'active'),
    source: enumWithDefault(RECORD_SOURCES, 'api'),
  },
  baseOptions('agents'),
);

agentSchema.index({ account_id: 1, key: 1 }, { unique: true });
agentSchema.index(
  { account_id: 1, handle_lower: 1 },
  {
    name: UNIQUE_INDEX.agentHandle,
    unique: true,
    // Handles name active agents: a disabled one (an agent gone from the file)
    // leaves its handle free for the agent that replaces it.
    partialFilterExpression: { handle_lower: { $type: 'string' }, status: { $eq: 'active' } },
  },
);
