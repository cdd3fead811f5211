// What a drafting provider is to the rest of Postroom: a stream of text
// pieces, then usage. OpenAI-compatible models and canned templates both fit.
import type { AgentRunUsage } from '../../store/index.ts';

interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A function call the model asked for, its arguments as the JSON text it wrote. */
export interface ToolCallRequest {
  id: string;
  name: string;
  arguments: string;
}

/** The turns of a tool round: the model's calls, then one answer per call. */
export type ToolTurn =
  | { role: 'assistant'; content: string | null; tool_calls: ToolCallRequest[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export type PromptMessage = ChatMessage | ToolTurn;

export type ProviderEvent =
  | { type: 'text'; text: string }
  | { type: 'usage'; usage: AgentRunUsage }
  /** The model ended its turn asking for these calls (finish_reason "tool_calls"). */
  | { type: 'tool_calls'; calls: ToolCallRequest[] };

export interface StreamOptions {
  /** Function definitions offered to the model; none: it can only write. */
  tools?: ReadonlyArray<{
    type: 'function';
    function: { name: string; description: string; parameters: Record<string, unknown> };
  }>;
}

export interface DraftProvider {
  /** The model name recorded on the run. */
  readonly model: string;
  stream(
    messages: PromptMessage[],
    signal: AbortSignal,
    options?: StreamOptions,
  ): AsyncIterable<ProviderEvent>;
}

/**
 * A provider failure with its fate decided: `retryable` failures (429, 5xx,
 * timeouts, cut streams) get another attempt, honouring `retryAfterMs`; the
 * others (bad key, unknown model, bad request) fail the run at once.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}
