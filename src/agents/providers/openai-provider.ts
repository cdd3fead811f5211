// Any OpenAI-compatible chat completions server, streamed. The SDK's own
// retries are off: the agent.run job owns retries (and Retry-After), so a
// retry restarts the draft visibly instead of silently inside one attempt.
import OpenAI from 'openai';
import { classifyProviderError } from './classify-error.ts';
import {
  ProviderError,
  type DraftProvider,
  type PromptMessage,
  type ProviderEvent,
  type StreamOptions,
  type ToolCallRequest,
} from './types.ts';

export interface OpenAiProviderConfig {
  baseURL: string | undefined;
  apiKey: string;
  model: string;
  temperature?: number | null;
  maxOutputTokens?: number | null;
  /** No chunk for this long means the stream stalled: abort and retry. */
  idleTimeoutMs: number;
  /** The outbound-guarded fetch for URLs a tenant chose; unset: the SDK's own. */
  fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
}

export function openAiProvider(config: OpenAiProviderConfig): DraftProvider {
  const client = new OpenAI({
    baseURL: config.baseURL,
    apiKey: config.apiKey,
    maxRetries: 0,
    timeout: config.idleTimeoutMs,
    ...(config.fetch ? { fetch: config.fetch } : {}),
  });
  return {
    model: config.model,
    async *stream(
      messages: PromptMessage[],
      signal: AbortSignal,
      options: StreamOptions = {},
    ): AsyncIterable<ProviderEvent> {
      const idle = new AbortController();
      const onAbort = (): void => idle.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(
          () =>
            idle.abort(
              new ProviderError(
                `no data from the model for ${config.idleTimeoutMs} ms`,
                'stream_stalled',
                true,
              ),
            ),
          config.idleTimeoutMs,
        );
      };
      let finished = false;
      // Tool calls arrive in pieces, keyed by index: the id and name first, the arguments spread over chunks.
      const calls = new Map<number, ToolCallRequest>();
      try {
        arm();
        const stream = await client.chat.completions.create(
          {
            model: config.model,
            messages: messages.map(toWire),
            ...(options.tools && options.tools.length > 0 ? { tools: [...options.tools] } : {}),
            stream: true,
            stream_options: { include_usage: true },
            ...(config.temperature != null ? { temperature: config.temperature } : {}),
            ...(config.maxOutputTokens != null
              ? { max_completion_tokens: config.maxOutputTokens }
              : {}),
          },
          { signal: idle.signal },
        );
        for await (const chunk of stream) {
          arm();
          const choice = chunk.choices[0];
          const text = choice?.delta?.content;
          if (text) yield { type: 'text', text };
          for (const piece of choice?.delta?.tool_calls ?? []) {
            const call = calls.get(piece.index) ?? { id: '', name: '', arguments: '' };
            if (piece.id) call.id = piece.id;
            if (piece.function?.name) call.name += piece.function.name;
            if (piece.function?.arguments) call.arguments += piece.function.arguments;
            calls.set(piece.index, call);
          }
          if (choice?.finish_reason) {
            finished = true;
            if (calls.size > 0) {
              yield {
                type: 'tool_calls',
                calls: [...calls.entries()]
                  .sort(([a], [b]) => a - b)
                  .map(([index, call]) => ({ ...call, id: call.id || `call_${index}` })),
              };
              calls.clear();
            }
          }
          if (chunk.usage) {
            yield {
              type: 'usage',
              usage: {
                prompt_tokens: chunk.usage.prompt_tokens,
                completion_tokens: chunk.usage.completion_tokens,
                total_tokens: chunk.usage.total_tokens,
              },
            };
          }
        }
      } catch (error) {
        throw idle.signal.aborted
          ? classifyProviderError(idle.signal.reason ?? error)
          : classifyProviderError(error);
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      }
      // The SDK ends the loop quietly on abort; a stream without a finish_reason was cut.
      if (idle.signal.aborted) throw classifyProviderError(idle.signal.reason);
      if (!finished)
        throw new ProviderError('the stream ended before the model finished', 'stream_cut', true);
    },
  };
}

type WireMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

function toWire(message: PromptMessage): WireMessage {
  if (message.role === 'tool') {
    return { role: 'tool', tool_call_id: message.tool_call_id, content: message.content };
  }
  if ('tool_calls' in message) {
    return {
      role: 'assistant',
      content: message.content,
      tool_calls: message.tool_calls.map((call) => ({
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: call.arguments },
      })),
    };
  }
  return { role: message.role, content: message.content };
}
