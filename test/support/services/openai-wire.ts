// The JSON the OpenAI chat completions API sends, shaped like the real thing so
// the official SDK (and anything parsing its output) cannot tell the difference.
import { randomBytes } from 'node:crypto';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Splits text into word-ish pieces the way model tokens look (' world', '.'); they join back to `text`. */
export function tokensOf(text: string): string[] {
  return text.match(/\s*[\p{L}\p{N}_']+|\s*[^\p{L}\p{N}_'\s]|\s+/gu) ?? [];
}

/** What one response's chunks have in common. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

export function newIdentity(model: string): CompletionIdentity {
  return {
    id: `chatcmpl-${randomBytes(12).toString('base64url')}`,
    created: Math.floor(Date.now() / 1000),
    model,
  };
}

export function usageOf(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

// The real API's key order, for anyone comparing raw frames.
function head(identity: CompletionIdentity, object: string): object {
  return {
    id: identity.id,
    object,
    created: identity.created,
    model: identity.model,
    system_fingerprint: 'fp_postroom_test',
  };
}

interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

type Delta = {
  role?: 'assistant';
  content?: string | null;
  refusal?: null;
  tool_calls?: ToolCallDelta[];
};

export function chunk(
  identity: CompletionIdentity,
  delta: Delta,
  finishReason: string | null,
  withUsageField: boolean,
): object {
  return {
    ...head(identity, 'chat.completion.chunk'),
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    // With include_usage the real API sends "usage": null on every chunk but the last.
    ...(withUsageField ? { usage: null } : {}),
  };
}

export function usageChunk(identity: CompletionIdentity, usage: Usage): object {
  return { ...head(identity, 'chat.completion.chunk'), choices: [], usage };
}

export function completion(identity: CompletionIdentity, content: string, usage: Usage): object {
  return {
    ...head(identity, 'chat.completion'),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage,
  };
}

const ERRORS: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: 'Invalid request.', type: 'invalid_request_error', code: null },
  401: {
    message: 'Incorrect API key provided.',
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  },
  404: {
    message: 'The model does not exist.',
    type: 'invalid_request_error',
    code: 'model_not_found',
  },
  429: {
    message: 'Rate limit reached for requests. Please try again later.',
    type: 'requests',
    code: 'rate_limit_exceeded',
  },
  500: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
  },
  503: {
    message: 'The engine is currently overloaded, please try again later.',
    type: 'server_error',
    code: null,
  },
};

/** The body of an error response: `{ error: { message, type, param, code } }`. */
export function errorBody(status: number, message?: string): object {
  const known = ERRORS[status] ?? {
    message: `Test error ${status}.`,
    type: 'server_error',
    code: null,
  };
  return {
    error: { message: message ?? known.message, type: known.type, param: null, code: known.code },
  };
}
