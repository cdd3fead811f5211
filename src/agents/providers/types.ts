// What a drafting provider is to the rest of Postroom: a stream of text
// pieces, then usage. OpenAI-compatible models and canned templates both fit.
import type { AgentRunUsage } from '../../store/index.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export type ProviderEvent =
  { type: 'text'; text: string } | { type: 'usage'; usage: AgentRunUsage };

export interface DraftProvider {
  /** The model name recorded on the run. */
  readonly model: string;
  stream(messages: ChatMessage[], signal: AbortSignal): AsyncIterable<ProviderEvent>;
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
