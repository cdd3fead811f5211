// Decide the fate of a model call's failure, with no I/O: which errors are
// worth another attempt and how long the server asked us to wait.
import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { OutboundRefusedError } from '../../platform/outbound-guard.ts';
import { ProviderError } from './types.ts';

// Retry-After beyond this is treated as "not soon": the run fails rather than
// holding a job (and the conversation's stream slot) for ages.
const MAX_RETRY_AFTER_MS = 5 * 60_000;

function retryAfterMs(
  headers: Headers | Record<string, string | null | undefined> | undefined,
  now = Date.now(),
): number | null {
  const get = (name: string): string | null | undefined =>
    headers instanceof Headers ? headers.get(name) : headers?.[name];
  const ms = get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.min(Number(ms), MAX_RETRY_AFTER_MS);
  const value = get('retry-after');
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.min(Math.max(date - now, 0), MAX_RETRY_AFTER_MS);
}

/** The guard's refusal, however deep the SDK wrapped it (APIConnectionError → cause). */
function refusalIn(error: unknown): OutboundRefusedError | null {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof OutboundRefusedError) return e;
  }
  return null;
}

export function classifyProviderError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  // The address will not change on a retry: fail now, saying which rule refused it.
  const refused = refusalIn(error);
  if (refused) return new ProviderError(`model server ${refused.message}`, refused.code, false);
  if (error instanceof APIUserAbortError)
    return new ProviderError('the request was aborted', 'aborted', false);
  if (error instanceof APIConnectionError) {
    return new ProviderError(
      `cannot reach the model server: ${error.message}`,
      'connection_error',
      true,
    );
  }
  if (error instanceof APIError) {
    const status = error.status ?? 0;
    const message = `the model server answered ${status}: ${error.message}`;
    if (status === 429)
      return new ProviderError(message, 'rate_limited', true, retryAfterMs(error.headers));
    if (status === 408 || status === 409 || status >= 500) {
      return new ProviderError(
        message,
        `server_error_${status}`,
        true,
        retryAfterMs(error.headers),
      );
    }
    return new ProviderError(message, `http_${status || 'error'}`, false);
  }
  // undici reports a connection cut mid-body as `TypeError: terminated`.
  if (error instanceof TypeError && /terminated|socket|network/i.test(error.message)) {
    return new ProviderError(`the stream was cut: ${error.message}`, 'stream_cut', true);
  }
  if (
    error instanceof Error &&
    /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|socket hang up/.test(error.message)
  ) {
    return new ProviderError(`connection error: ${error.message}`, 'connection_error', true);
  }
  return new ProviderError(
    error instanceof Error ? error.message : String(error),
    'internal_error',
    false,
  );
}
