// An OpenAI-compatible HTTP server for tests. Each chat completion request takes
// the next script from a queue (or the default): stream tokens, stall, cut the
// connection, or answer an error status. Every request and the moment each token
// was written are recorded, so tests and benchmarks can check what the client did.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from '../wait.ts';
import {
  chunk,
  completion,
  errorBody,
  newIdentity,
  tokensOf,
  usageChunk,
  usageOf,
  type CompletionIdentity,
} from './openai-wire.ts';

export { tokensOf } from './openai-wire.ts';

export type OpenAiScript =
  | { kind: 'stream'; tokens: string[]; delayMs?: number }
  /** Sends `afterTokens` tokens, then nothing until the client goes away. */
  | { kind: 'stall'; afterTokens: number; tokens: string[]; delayMs?: number }
  /** Sends `afterTokens` tokens, then destroys the socket. */
  | { kind: 'cut'; afterTokens: number; tokens: string[]; delayMs?: number }
  /**
   * The model asks for tool calls, streamed as the real API does: each call's
   * id and name in one chunk, its arguments spread over the next ones, then
   * finish_reason "tool_calls".
   */
  | { kind: 'tool_calls'; calls: Array<{ id?: string; name: string; arguments: string }> }
  /**
   * The script is chosen from the request, as a model answers what its prompt
   * holds (e.g. citing the reference passage it was offered by its id).
   */
  | {
      kind: 'respond';
      respond: (body: Record<string, unknown>) => Exclude<OpenAiScript, { kind: 'respond' }>;
    }
  | {
      kind: 'status';
      status: number;
      /** Seconds, sent as the Retry-After header (fractions allowed). */
      retryAfter?: number;
      /** Replaces the standard `{ error: {...} }` body; strings are sent as they are. */
      body?: unknown;
    };

interface TokenStamp {
  text: string;
  /** Epoch milliseconds, sub-millisecond precision (performance.timeOrigin + performance.now()). */
  at: number;
}

export interface RecordedOpenAiRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body; undefined for GET or a body that is not JSON. */
  body: Record<string, unknown> | undefined;
  receivedAt: Date;
  script: OpenAiScript | undefined;
  tokenSentAt: TokenStamp[];
  /** The connection closed before the response was complete (a client abort, or a cut script). */
  closedEarly: boolean;
}

export interface OpenAiTestServer {
  /** For `new OpenAI({ baseURL })`: `http://127.0.0.1:PORT/v1`. */
  baseURL: string;
  port: number;
  requests: RecordedOpenAiRequest[];
  /** Scripts for the next chat completion requests, in order. */
  enqueue(...scripts: OpenAiScript[]): void;
  /** The script used when the queue is empty. */
  setDefault(script: OpenAiScript): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedOpenAiRequest[]>;
  stop(): Promise<void>;
}

const DEFAULT_SCRIPT: OpenAiScript = {
  kind: 'stream',
  tokens: tokensOf('Hello from the Postroom test model.'),
};

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'];

function now(): number {
  return performance.timeOrigin + performance.now();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': `req_${Math.random().toString(36).slice(2)}`,
    ...headers,
  });
  res.end(text);
}

/**
 * Writes one SSE frame and resolves once it has left for the socket: a token's
 * timestamp is then the moment it was sent, and a cut after it cannot lose it.
 */
function sendFrame(res: ServerResponse, payload: object | string): Promise<void> {
  const data = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    res.write(`data: ${data}\n\n`, (error) => (error ? reject(error) : resolve()));
  });
}

function promptTokens(body: Record<string, unknown>): number {
  const messages = Array.isArray(body.messages)
    ? (body.messages as Array<{ content?: unknown }>)
    : [];
  const text = messages
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
    .join(' ');
  return tokensOf(text).length + 3 * messages.length;
}

export async function startOpenAiTestServer(): Promise<OpenAiTestServer> {
  const requests: RecordedOpenAiRequest[] = [];
  const queue: OpenAiScript[] = [];
  let defaultScript: OpenAiScript = DEFAULT_SCRIPT;
  // Aborts every pending delay and stall, so stop() never waits on a script.
  const stopping = new AbortController();

  function untilClosed(res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      if (res.destroyed) return resolve();
      res.once('close', () => resolve());
      stopping.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  async function writeTokens(
    res: ServerResponse,
    record: RecordedOpenAiRequest,
    identity: CompletionIdentity,
    tokens: string[],
    delayMs: number,
    withUsageField: boolean,
  ): Promise<boolean> {
    for (const text of tokens) {
      if (delayMs > 0) await sleep(delayMs, undefined, { signal: stopping.signal });
      if (res.destroyed) return false;
      await sendFrame(res, chunk(identity, { content: text }, null, withUsageField));
      record.tokenSentAt.push({ text, at: now() });
    }
    return true;
  }

  async function answerStream(
    res: ServerResponse,
    record: RecordedOpenAiRequest,
    body: Record<string, unknown>,
    script: Exclude<OpenAiScript, { kind: 'status' | 'tool_calls' | 'respond' }>,
  ): Promise<void> {
    const identity = newIdentity(typeof body.model === 'string' ? body.model : 'gpt-4o-mini');
    const options = body.stream_options as { include_usage?: unknown } | undefined;
    const includeUsage = options?.include_usage === true;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': `req_${identity.id.slice(9)}`,
    });
    res.flushHeaders();
    const role = { role: 'assistant', content: '', refusal: null } as const;
    await sendFrame(res, chunk(identity, role, null, includeUsage));
    const sent =
      script.kind === 'stream' ? script.tokens : script.tokens.slice(0, script.afterTokens);
    if (!(await writeTokens(res, record, identity, sent, script.delayMs ?? 0, includeUsage))) {
      return;
    }
    if (script.kind === 'cut') {
      res.socket?.destroy();
      return;
    }
    if (script.kind === 'stall') {
      await untilClosed(res);
      return;
    }
    await sendFrame(res, chunk(identity, {}, 'stop', includeUsage));
    if (includeUsage) {
      await sendFrame(res, usageChunk(identity, usageOf(promptTokens(body), sent.length)));
    }
    await sendFrame(res, '[DONE]');
    res.end();
  }

  async function answerToolCalls(
    res: ServerResponse,
    body: Record<string, unknown>,
    script: Extract<OpenAiScript, { kind: 'tool_calls' }>,
  ): Promise<void> {
    const identity = newIdentity(typeof body.model === 'string' ? body.model : 'gpt-4o-mini');
    const calls = script.calls.map((call, index) => ({
      ...call,
      id: call.id ?? `call_${identity.id.slice(9, 17)}_${index}`,
    }));
    if (body.stream !== true) {
      sendJson(res, 200, {
        ...completion(identity, '', usageOf(promptTokens(body), 0)),
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              refusal: null,
              tool_calls: calls.map((c) => ({
                id: c.id,
                type: 'function',
                function: { name: c.name, arguments: c.arguments },
              })),
            },
            logprobs: null,
            finish_reason: 'tool_calls',
          },
        ],
      });
      return;
    }
    const options = body.stream_options as { include_usage?: unknown } | undefined;
    const includeUsage = options?.include_usage === true;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    });
    res.flushHeaders();
    await sendFrame(res, chunk(identity, { role: 'assistant', content: null }, null, includeUsage));
    let pieces = 0;
    for (const [index, call] of calls.entries()) {
      await sendFrame(
        res,
        chunk(
          identity,
          {
            tool_calls: [
              {
                index,
                id: call.id,
                type: 'function',
                function: { name: call.name, arguments: '' },
              },
            ],
          },
          null,
          includeUsage,
        ),
      );
      // The arguments in a few pieces, cut anywhere, as a model streams them.
      const size = Math.max(1, Math.ceil(call.arguments.length / 3));
      for (let at = 0; at < call.arguments.length; at += size) {
        pieces++;
        await sendFrame(
          res,
          chunk(
            identity,
            {
              tool_calls: [{ index, function: { arguments: call.arguments.slice(at, at + size) } }],
            },
            null,
            includeUsage,
          ),
        );
      }
    }
    await sendFrame(res, chunk(identity, {}, 'tool_calls', includeUsage));
    if (includeUsage) {
      await sendFrame(res, usageChunk(identity, usageOf(promptTokens(body), pieces)));
    }
    await sendFrame(res, '[DONE]');
    res.end();
  }

  async function answerChat(
    res: ServerResponse,
    record: RecordedOpenAiRequest,
    body: Record<string, unknown>,
  ): Promise<void> {
    const next = queue.shift() ?? defaultScript;
    const script = next.kind === 'respond' ? next.respond(body) : next;
    record.script = script;
    if (script.kind === 'status') {
      const headers: Record<string, string> =
        script.retryAfter === undefined ? {} : { 'retry-after': String(script.retryAfter) };
      sendJson(res, script.status, script.body ?? errorBody(script.status), headers);
      return;
    }
    if (script.kind === 'tool_calls') return answerToolCalls(res, body, script);
    if (body.stream === true) return answerStream(res, record, body, script);
    // Without streaming the whole answer comes at once; a stall never answers, a cut never will.
    if (script.kind === 'cut') {
      res.socket?.destroy();
      return;
    }
    if (script.kind === 'stall') {
      await untilClosed(res);
      return;
    }
    if (script.delayMs) {
      const total = script.delayMs * script.tokens.length;
      await sleep(total, undefined, { signal: stopping.signal });
    }
    const identity = newIdentity(typeof body.model === 'string' ? body.model : 'gpt-4o-mini');
    const content = script.tokens.join('');
    sendJson(
      res,
      200,
      completion(identity, content, usageOf(promptTokens(body), script.tokens.length)),
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const record: RecordedOpenAiRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body: parseJson(text),
      receivedAt: new Date(),
      script: undefined,
      tokenSentAt: [],
      closedEarly: false,
    };
    requests.push(record);
    res.once('close', () => {
      if (!res.writableFinished) record.closedEarly = true;
    });

    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: MODELS.map((id) => ({
          id,
          object: 'model',
          created: 1_715_367_049,
          owned_by: 'system',
        })),
      });
    } else if (req.method === 'POST' && path === '/v1/chat/completions') {
      if (record.body) await answerChat(res, record, record.body);
      else sendJson(res, 400, errorBody(400, 'We could not parse the JSON body of your request.'));
    } else {
      sendJson(res, 404, errorBody(404, `Invalid URL (${req.method} ${path})`));
    }
  }

  // noDelay: each token leaves in its own packet the moment it is written.
  const server = createServer({ noDelay: true, keepAlive: true }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (stopping.signal.aborted) return res.destroy();
      if (!res.headersSent) sendJson(res, 500, errorBody(500, String(error)));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    enqueue(...scripts) {
      queue.push(...scripts);
    },
    setDefault(script) {
      defaultScript = script;
    },
    async waitForRequests(count, timeoutMs = 10_000) {
      await waitUntil(() => requests.length >= count, {
        timeoutMs,
        what: `${count} request(s) at the OpenAI test server`,
      });
      return requests.slice(0, count);
    },
    async stop() {
      if (stopping.signal.aborted) return;
      stopping.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Stalled streams and idle keep-alive sockets would otherwise hold close() open.
      server.closeAllConnections();
      await closed;
    },
  };
}
