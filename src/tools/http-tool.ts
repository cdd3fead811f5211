// Calling one HTTP tool an agent declared in the bootstrap file: the model's
// arguments are checked against the tool's JSON Schema (zod), sent to the
// tool's URL through the outbound guard, and the answer comes back as text
// for the model. Nothing here throws: a bad argument, a refused address, a
// timeout or an error status is an outcome the model reads and works around.
import { z } from 'zod';
import type { ToolConfig } from '../config/bootstrap-schema.ts';
import type { FetchLike } from '../platform/guarded-fetch.ts';

/** A tool's answer is cut to this many characters before the model sees it. */
const MAX_TOOL_RESULT_CHARS = 8_000;

export type ToolOutcome =
  | { ok: true; result: string; status: number; duration_ms: number }
  | { ok: false; error: string; status: number | null; duration_ms: number };

/** The function definition the chat completions API takes for a tool. */
export interface ToolFunctionSpec {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export function toolSpec(tool: ToolConfig): ToolFunctionSpec {
  return {
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  };
}

// Compiled once per tool: the config is frozen for the process's life.
const compiled = new WeakMap<ToolConfig, z.ZodType>();

function argumentSchema(tool: ToolConfig): z.ZodType {
  let schema = compiled.get(tool);
  if (!schema) {
    schema = z.fromJSONSchema(tool.parameters as Parameters<typeof z.fromJSONSchema>[0]);
    compiled.set(tool, schema);
  }
  return schema;
}

/** The model's JSON arguments, parsed and checked; a problem is said the way the model can fix it. */
export function parseToolArguments(
  tool: ToolConfig,
  json: string,
): { ok: true; value: unknown } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = json.trim() === '' ? {} : JSON.parse(json);
  } catch {
    return { ok: false, error: 'the arguments are not valid JSON' };
  }
  const checked = argumentSchema(tool).safeParse(value);
  if (!checked.success) {
    const problems = checked.error.issues
      .map(
        (issue) => `${issue.path.length ? issue.path.join('.') : '(arguments)'}: ${issue.message}`,
      )
      .join('; ');
    return { ok: false, error: `the arguments do not match the tool's schema: ${problems}` };
  }
  return { ok: true, value: checked.data };
}

export async function callHttpTool(
  tool: ToolConfig,
  argumentsJson: string,
  fetch: FetchLike,
  signal?: AbortSignal,
): Promise<ToolOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const args = parseToolArguments(tool, argumentsJson);
  if (!args.ok) return { ok: false, error: args.error, status: null, duration_ms: elapsed() };

  const url = new URL(tool.url);
  const headers = new Headers(tool.headers);
  headers.set('accept', 'application/json, text/plain;q=0.9, */*;q=0.5');
  let body: string | undefined;
  if (tool.method === 'GET' || tool.method === 'DELETE') {
    // No body on these: top-level arguments become query parameters.
    if (args.value && typeof args.value === 'object') {
      for (const [name, value] of Object.entries(args.value as Record<string, unknown>)) {
        if (value === undefined || value === null) continue;
        url.searchParams.set(name, typeof value === 'string' ? value : JSON.stringify(value));
      }
    }
  } else {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(args.value ?? {});
  }
  const timeout = AbortSignal.timeout(tool.timeout_ms);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    const response = await fetch(url, {
      method: tool.method,
      headers,
      ...(body === undefined ? {} : { body }),
      signal: combined,
      redirect: 'follow',
    });
    const text = truncate(await response.text());
    if (!response.ok) {
      return {
        ok: false,
        error: `the tool answered HTTP ${response.status}${text ? `: ${text}` : ''}`,
        status: response.status,
        duration_ms: elapsed(),
      };
    }
    return { ok: true, result: text, status: response.status, duration_ms: elapsed() };
  } catch (error) {
    const why = timeout.aborted
      ? `the tool did not answer within ${tool.timeout_ms} ms`
      : signal?.aborted
        ? 'the run was stopped'
        : `the tool could not be reached: ${error instanceof Error ? error.message : String(error)}`;
    return { ok: false, error: why, status: null, duration_ms: elapsed() };
  }
}

function truncate(text: string): string {
  return text.length <= MAX_TOOL_RESULT_CHARS
    ? text
    : `${text.slice(0, MAX_TOOL_RESULT_CHARS)}… (cut at ${MAX_TOOL_RESULT_CHARS} characters)`;
}
