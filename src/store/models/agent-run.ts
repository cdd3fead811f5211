import { Schema } from 'mongoose';
import { AGENT_RUN_STATUSES } from '../../conversations/enums.ts';
import { UNIQUE_INDEX } from '../index-names.ts';
import {
  PROPOSED_ACTION_STATUSES,
  TOOL_CALL_STATUSES,
  type AgentRunRecord,
} from '../records/agent-run.ts';
import {
  baseOptions,
  enumOf,
  enumWithDefault,
  nullableDate,
  nullableNumber,
  nullableString,
  nullableSub,
  requiredString,
  subSchema,
} from './common.ts';

const usageSchema = subSchema({
  prompt_tokens: { type: Number, default: 0 },
  completion_tokens: { type: Number, default: 0 },
  total_tokens: { type: Number, default: 0 },
});

const timingsSchema = subSchema({
  queued_at: { type: Date, required: true },
  started_at: nullableDate,
  first_token_at: nullableDate,
  completed_at: nullableDate,
});

const knowledgeSchema = subSchema({
  offered: {
    type: [
      subSchema({
        label: requiredString,
        passage_id: requiredString,
        document_id: requiredString,
        source: requiredString,
        title: { type: String, default: '' },
        score: { type: Number, default: 0 },
      }),
    ],
    default: [],
  },
  cited: { type: [String], default: [] },
});

const errorSchema = subSchema({ code: requiredString, message: requiredString });

const toolCallSchema = subSchema({
  id: requiredString,
  name: requiredString,
  arguments: { type: String, default: '' },
  read_only: { type: Boolean, default: false },
  status: enumOf(TOOL_CALL_STATUSES),
  result: nullableString,
  error: nullableString,
  duration_ms: nullableNumber,
  at: { type: Date, required: true },
});

const proposedActionSchema = subSchema({
  id: requiredString,
  tool_call_id: requiredString,
  tool: requiredString,
  arguments: { type: String, default: '' },
  status: enumWithDefault(PROPOSED_ACTION_STATUSES, 'pending'),
  result: nullableString,
  error: nullableString,
  decided_by: nullableString,
  decided_at: nullableDate,
  completed_at: nullableDate,
});

const costSchema = subSchema({
  input: { type: Number, default: 0 },
  output: { type: Number, default: 0 },
  total: { type: Number, default: 0 },
});

export const agentRunSchema = new Schema<AgentRunRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    conversation_id: requiredString,
    agent_id: requiredString,
    trigger_message_id: requiredString,
    draft_message_id: nullableString,
    model: nullableString,
    status: enumWithDefault(AGENT_RUN_STATUSES, 'queued'),
    // null: the run its trigger started; 1, 2, ...: a human's regenerations.
    // Null (not 0) so runs stored before the field existed are the same key.
    generation: nullableNumber,
    attempts: { type: Number, default: 0 },
    usage: nullableSub(usageSchema),
    timings: { type: timingsSchema, required: true },
    instructions_version: nullableString,
    context_message_ids: { type: [String], default: [] },
    knowledge: nullableSub(knowledgeSchema),
    language: nullableString,
    error: nullableSub(errorSchema),
    tool_calls: { type: [toolCallSchema], default: [] },
    proposed_actions: { type: [proposedActionSchema], default: [] },
    cost: nullableSub(costSchema),
    edit_example_ids: { type: [String], default: [] },
  },
  baseOptions('agent_runs'),
);

// One run per (trigger, agent, generation): a repeated trigger job finds the existing run.
agentRunSchema.index(
  { trigger_message_id: 1, agent_id: 1, generation: 1 },
  { name: UNIQUE_INDEX.agentRunTrigger, unique: true },
);
// The hourly cap counts a conversation's recent runs.
agentRunSchema.index({ conversation_id: 1, created_at: -1 });
// The reconciler and dispatch look for live runs by status.
agentRunSchema.index({ status: 1, _id: 1 });
// Monthly budgets sum an account's (or agent's) spend since the month began.
agentRunSchema.index({ account_id: 1, created_at: -1 });
