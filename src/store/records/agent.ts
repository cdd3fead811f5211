import type { AgentStatus, RecordSource, TriggerPolicy } from '../../conversations/enums.ts';

/**
 * An AI agent. `_id` is also its actor's id; bootstrap agents get the
 * deterministic `agt_<account>_<configId>`. Operator secrets (bootstrap keys,
 * OPENAI_API_KEY, granted credentials) are NOT stored: they stay in the
 * in-memory config. A key given through the API is stored sealed (AES-GCM).
 */
export interface AgentRecord {
  _id: string;
  account_id: string;
  /** The config id, unique per account. */
  key: string;
  name: string;
  handle: string;
  /** `handle` lower-cased: its unique index makes "@Drafter" name one active agent per account. */
  handle_lower: string;
  provider: AgentProvider;
  instructions: string;
  /** First 12 hex of sha256(instructions): which instructions a run used. */
  instructions_version: string;
  trigger_policy: TriggerPolicy;
  trigger_keywords: string[];
  status: AgentStatus;
  /** Who manages the agent: the bootstrap file disables its own agents when they leave the file. */
  source: RecordSource;
  created_at: Date;
  updated_at: Date;
}

export type AgentProvider =
  | {
      type: 'openai';
      base_url: string | null;
      model: string;
      temperature: number | null;
      max_output_tokens: number | null;
      /** API agents: the name of a credential the operator granted the account. */
      credential: string | null;
      /** API agents: their own key, sealed by src/platform/secret-box.ts. */
      api_key_sealed: string | null;
    }
  | { type: 'template'; template: string };
