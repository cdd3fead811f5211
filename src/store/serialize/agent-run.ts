// The seed names agent_run as a type without listing its fields: this is
// Postroom's shape, used when a message's agent_run is expanded.
import type { AgentRunError, AgentRunRecord, AgentRunUsage } from '../records/agent-run.ts';
import type { AgentRunStatus } from '../../conversations/enums.ts';
import { isoDate } from './common.ts';

export interface AgentRunJson {
  id: string;
  object: 'agent_run';
  agent_id: string;
  conversation_id: string;
  trigger_message_id: string;
  draft_message_id: string | null;
  model: string | null;
  status: AgentRunStatus;
  attempts: number;
  usage: AgentRunUsage | null;
  timings: {
    queued_at: string;
    started_at: string | null;
    first_token_at: string | null;
    completed_at: string | null;
  };
  instructions_version: string | null;
  error: AgentRunError | null;
  created_at: string;
  updated_at: string;
}

export function serializeAgentRun(run: AgentRunRecord): AgentRunJson {
  return {
    id: run._id,
    object: 'agent_run',
    agent_id: run.agent_id,
    conversation_id: run.conversation_id,
    trigger_message_id: run.trigger_message_id,
    draft_message_id: run.draft_message_id,
    model: run.model,
    status: run.status,
    attempts: run.attempts,
    usage: run.usage ? { ...run.usage } : null,
    timings: {
      queued_at: isoDate(run.timings.queued_at),
      started_at: isoDate(run.timings.started_at),
      first_token_at: isoDate(run.timings.first_token_at),
      completed_at: isoDate(run.timings.completed_at),
    },
    instructions_version: run.instructions_version,
    error: run.error ? { code: run.error.code, message: run.error.message } : null,
    created_at: isoDate(run.created_at),
    updated_at: isoDate(run.updated_at),
  };
}
