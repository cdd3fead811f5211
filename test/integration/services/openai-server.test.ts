// Smoke test of the OpenAI-compatible test server through the official `openai`
// SDK: streams parse, errors and retries behave as against the real API, and
// stalls and cuts reach the client the way the drafting code will meet them.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI, { APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import {
  startOpenAiTestServer,
  tokensOf,
  type OpenAiTestServer,
} from '../../support/services/openai-server.ts';
import { waitUntil } from '../../support/wait.ts';

const MESSAGES = [
  { role: 'system' as const, content: 'You draft support replies.' },
  { role: 'user' as const, content: 'Where is my order?' },
];

let ai: OpenAiTestServer;

before(async () => {
  ai = await startOpenAiTestServer();
});

after(() => ai.stop());

beforeEach(() => {
  ai.requests.length = 0;
});

function client(maxRetries = 0): OpenAI {
  return new OpenAI({ baseURL: ai.baseURL, apiKey: 'sk-test', maxRetries });
}

function stream(openai: OpenAI, signal?: AbortSignal) {
  return openai.chat.completions.create(
    {
      model: 'gpt-4o-mini',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    },
    signal ? { signal } : {},
  );
}

describe('OpenAI test server', () => {
  test('streams chat.completion.chunk frames the SDK joins into the tokens, with usage', async () => {
    const tokens = tokensOf('Your order ships tomorrow, with tracking.');
    assert.equal(tokens.join(''), 'Your order ships tomorrow, with tracking.');
    ai.enqueue({ kind: 'stream', tokens });

    const chunks: ChatCompletionChunk[] = [];
    const receivedAt: number[] = [];
    for await (const chunk of await stream(client())) {
      chunks.push(chunk);
      if (chunk.choices[0]?.delta.content)
        receivedAt.push(performance.timeOrigin + performance.now());
    }

    const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(content, tokens.join(''));
    assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1, 'one id for the whole stream');
    const last = chunks.at(-1);
    assert.deepEqual(last?.choices, []);
    assert.equal(last?.usage?.completion_tokens, tokens.length);
    assert.equal(last?.usage?.total_tokens, (last?.usage?.prompt_tokens ?? 0) + tokens.length);

    const [request] = ai.requests;
    assert.equal(request?.headers.authorization, 'Bearer sk-test');
    assert.deepEqual(request?.body?.messages, MESSAGES);
    assert.deepEqual(
      request?.tokenSentAt.map((s) => s.text),
      tokens,
    );
    // Both stamps use the same clock, so token-to-client latency is a subtraction.
    request?.tokenSentAt.forEach((sent, i) => assert.ok((receivedAt[i] ?? 0) >= sent.at));
  });

  test('answers a plain chat.completion when not streaming', async () => {
    ai.enqueue({ kind: 'stream', tokens: tokensOf('Thanks for waiting.') });
    const completion = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: MESSAGES,
    });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.choices[0]?.message.content, 'Thanks for waiting.');
    assert.equal(completion.usage?.completion_tokens, 4);
  });

  test('429 with Retry-After is an APIError carrying the header when retries are off', async () => {
    ai.enqueue({ kind: 'status', status: 429, retryAfter: 7 });
    await assert.rejects(stream(client(0)), (error: unknown) => {
      assert.ok(error instanceof APIError);
      assert.equal(error.status, 429);
      assert.equal(error.code, 'rate_limit_exceeded');
      assert.equal(error.headers?.get('retry-after'), '7');
      return true;
    });
    assert.equal(ai.requests.length, 1);
  });

  test('with one retry the SDK waits out a 429 and then streams', async () => {
    ai.enqueue(
      { kind: 'status', status: 429, retryAfter: 0.05 },
      { kind: 'stream', tokens: ['Ok', '.'] },
    );
    let content = '';
    for await (const chunk of await stream(client(1)))
      content += chunk.choices[0]?.delta.content ?? '';
    assert.equal(content, 'Ok.');
    assert.equal(ai.requests.length, 2);
    const [first, second] = ai.requests;
    assert.ok(second && first && second.receivedAt.getTime() - first.receivedAt.getTime() >= 40);
  });

  test('500 is an InternalServerError with the API error shape', async () => {
    ai.enqueue({ kind: 'status', status: 500 });
    await assert.rejects(stream(client(0)), (error: unknown) => {
      assert.ok(error instanceof OpenAI.InternalServerError);
      assert.equal(error.status, 500);
      assert.equal(error.type, 'server_error');
      return true;
    });
  });

  test('a cut stream makes the iteration throw after the tokens sent so far', async () => {
    ai.enqueue({ kind: 'cut', afterTokens: 3, tokens: tokensOf('This reply will be cut short.') });
    let content = '';
    await assert.rejects(async () => {
      for await (const chunk of await stream(client()))
        content += chunk.choices[0]?.delta.content ?? '';
    });
    assert.equal(content, 'This reply will');
  });

  test('aborting a stalled stream ends the iteration quietly, and the server sees it', async () => {
    ai.enqueue({ kind: 'stall', afterTokens: 2, tokens: tokensOf('Stuck after two tokens') });
    const controller = new AbortController();
    let content = '';
    let finished = false;
    // The SDK's stream iterator swallows an abort: the loop just ends, no error.
    for await (const chunk of await stream(client(), controller.signal)) {
      content += chunk.choices[0]?.delta.content ?? '';
      finished ||= chunk.choices[0]?.finish_reason === 'stop';
      if (content === 'Stuck after') controller.abort();
    }
    assert.equal(content, 'Stuck after');
    assert.equal(finished, false);
    const [request] = ai.requests;
    await waitUntil(() => request?.closedEarly, { what: 'the server to see the client go away' });
  });

  test('aborting a request still waiting for its response rejects with APIUserAbortError', async () => {
    ai.enqueue({ kind: 'stall', afterTokens: 0, tokens: [] });
    const controller = new AbortController();
    const pending = client().chat.completions.create(
      { model: 'gpt-4o-mini', messages: MESSAGES },
      { signal: controller.signal },
    );
    await ai.waitForRequests(1);
    controller.abort();
    await assert.rejects(pending, APIUserAbortError);
    const [request] = ai.requests;
    await waitUntil(() => request?.closedEarly, { what: 'the server to see the client go away' });
  });

  test('lists models', async () => {
    const models = await client().models.list();
    assert.ok(models.data.some((m) => m.id === 'gpt-4o-mini'));
  });
});

test('stop() returns while a stream is stalled, and the client sees the connection end', async () => {
  const own = await startOpenAiTestServer();
  own.setDefault({ kind: 'stall', afterTokens: 1, tokens: ['Never', ' finished'] });
  const openai = new OpenAI({ baseURL: own.baseURL, apiKey: 'sk-test', maxRetries: 0 });
  const reading = (async () => {
    for await (const chunk of await stream(openai)) void chunk;
  })();
  await waitUntil(() => own.requests[0]?.tokenSentAt.length === 1, { what: 'the first token' });
  await own.stop();
  await assert.rejects(reading);
});
