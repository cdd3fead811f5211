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
