import type { AgentRunStatus } from '../../conversations/enums.ts';

/** One agent invocation: at most one per (trigger message, agent, generation). */
export interface AgentRunRecord {
  _id: string;
  account_id: string;
  conversation_id: string;
  agent_id: string;
  trigger_message_id: string;
  /**
   * Null for the run the trigger started; 1, 2, ... for each regeneration a
   * human asked for (same trigger). Absent on runs stored before it existed.
   */
  generation?: number | null;
  draft_message_id: string | null;
  model: string | null;
  status: AgentRunStatus;
  attempts: number;
  usage: AgentRunUsage | null;
  timings: AgentRunTimings;
  instructions_version: string | null;
  context_message_ids: string[];
  /** The knowledge passages offered to the model and the labels it cited. Absent on older runs. */
  knowledge?: AgentRunKnowledge | null;
  /** The customer's language (ISO 639-1) the model was told to reply in; null: undetected. */
  language?: string | null;
  error: AgentRunError | null;
  /** The tools the model called, in order (absent on runs stored before tools). */
  tool_calls?: AgentRunToolCall[];
  /** Calls of tools that change something: each waits for a human's approval. */
  proposed_actions?: ProposedAction[];
  /** What the run cost at its agent's pricing; null when the agent has none. */
  cost?: AgentRunCost | null;
  /** The stored edit examples (draft → approved text) offered in the prompt. */
  edit_example_ids?: string[];
  created_at: Date;
  updated_at: Date;
}

export interface AgentRunUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

interface AgentRunTimings {
  queued_at: Date;
  started_at: Date | null;
  first_token_at: Date | null;
  completed_at: Date | null;
}

export interface AgentRunError {
  code: string;
  message: string;
}

export const TOOL_CALL_STATUSES = ['succeeded', 'failed', 'proposed', 'refused'] as const;
export type ToolCallStatus = (typeof TOOL_CALL_STATUSES)[number];

export interface AgentRunToolCall {
  /** The model's call id. */
  id: string;
  name: string;
  /** The arguments as the model wrote them (JSON text). */
  arguments: string;
  read_only: boolean;
  /** refused: unknown tool, or over the run's tool-call limit. */
  status: ToolCallStatus;
  /** What the tool answered (text, cut to a bound), for a read-only call that ran. */
  result: string | null;
  error: string | null;
  duration_ms: number | null;
  at: Date;
}

export const PROPOSED_ACTION_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'rejected',
] as const;
export type ProposedActionStatus = (typeof PROPOSED_ACTION_STATUSES)[number];

export interface ProposedAction {
  id: string;
  tool_call_id: string;
  tool: string;
  arguments: string;
  status: ProposedActionStatus;
  result: string | null;
  error: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  completed_at: Date | null;
}

export interface AgentRunCost {
  input: number;
  output: number;
  total: number;
}

export interface AgentRunKnowledge {
  offered: Array<{
    label: string;
    passage_id: string;
    document_id: string;
    source: 'folder' | 'upload' | 'reply';
    title: string;
    score: number;
  }>;
  /** Labels of the offered passages the draft cites. */
  cited: string[];
}
