// The seed names agent_run as a type without listing its fields: this is
// Postroom's shape, for a message's agent_run (include[]=agent_run) and the
// agent-runs endpoints. Only ids and numbers: a run's context and output are
// the messages it names, which redaction erases in place.
import type {
  AgentRunCost,
  AgentRunError,
  AgentRunKnowledge,
  AgentRunRecord,
  AgentRunUsage,
  ProposedActionStatus,
  ToolCallStatus,
} from '../../store/records/agent-run.ts';
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
  /** The version of the agent's instructions (its prompt) the run used. */
  instructions_version: string | null;
  /** The messages the run's prompt was built from, oldest first. */
  context_message_ids: string[];
  /** The knowledge passages offered to the model (K1, K2, ...) and the labels the draft cites. */
  knowledge: AgentRunKnowledge;
  /** The customer's language (ISO 639-1) the model was told to reply in; null: undetected. */
  language: string | null;
  /** null: the run its trigger started; 1, 2, ...: a human's regenerations. */
  generation: number | null;
  outcome: AgentRunOutcome;
  error: AgentRunError | null;
  /** The tools the model called, with what read-only ones answered. */
  tool_calls: Array<{
    id: string;
    name: string;
    arguments: string;
    read_only: boolean;
    status: ToolCallStatus;
    result: string | null;
    error: string | null;
    duration_ms: number | null;
    at: string;
  }>;
  /** Actions the draft proposes: each runs only when a human approves it. */
  proposed_actions: ProposedActionJson[];
  /** At the agent's pricing; null without one. */
  cost: AgentRunCost | null;
  /** The edit examples (past draft → approved pairs) offered to the model. */
  edit_example_ids: string[];
  created_at: string;
  updated_at: string;
}

export interface ProposedActionJson {
  id: string;
  object: 'proposed_action';
  tool: string;
  arguments: string;
  status: ProposedActionStatus;
  result: string | null;
  error: string | null;
  decided_by: string | null;
  decided_at: string | null;
  completed_at: string | null;
}

/**
 * What the run came to: `pending` while queued or running; `drafted` when it
 * produced a draft; `no_draft` when it completed without one; else its status.
 */
type AgentRunOutcome = 'pending' | 'drafted' | 'no_draft' | 'failed' | 'canceled' | 'capped';

function outcomeOf(run: AgentRunRecord): AgentRunOutcome {
  switch (run.status) {
    case 'queued':
    case 'running':
      return 'pending';
    case 'completed':
      return run.draft_message_id ? 'drafted' : 'no_draft';
    default:
      return run.status;
  }
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
    context_message_ids: [...(run.context_message_ids ?? [])],
    knowledge: {
      offered: (run.knowledge?.offered ?? []).map((p) => ({
        label: p.label,
        passage_id: p.passage_id,
        document_id: p.document_id,
        source: p.source,
        title: p.title,
        score: p.score,
      })),
      cited: [...(run.knowledge?.cited ?? [])],
    },
    language: run.language ?? null,
    generation: run.generation ?? null,
    outcome: outcomeOf(run),
    error: run.error ? { code: run.error.code, message: run.error.message } : null,
    tool_calls: (run.tool_calls ?? []).map((call) => ({
      id: call.id,
      name: call.name,
      arguments: call.arguments,
      read_only: call.read_only,
      status: call.status,
      result: call.result,
      error: call.error,
      duration_ms: call.duration_ms,
      at: isoDate(call.at),
    })),
    proposed_actions: (run.proposed_actions ?? []).map((action) => ({
      id: action.id,
      object: 'proposed_action',
      tool: action.tool,
      arguments: action.arguments,
      status: action.status,
      result: action.result,
      error: action.error,
      decided_by: action.decided_by,
      decided_at: action.decided_at ? isoDate(action.decided_at) : null,
      completed_at: action.completed_at ? isoDate(action.completed_at) : null,
    })),
    cost: run.cost ? { ...run.cost } : null,
    edit_example_ids: [...(run.edit_example_ids ?? [])],
    created_at: isoDate(run.created_at),
    updated_at: isoDate(run.updated_at),
  };
}
