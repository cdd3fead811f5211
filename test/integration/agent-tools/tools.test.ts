// Agent tools through the real runtime, the OpenAI-compatible test server
// (tool_calls streamed in chunks) and a local tool server: a read-only tool
// runs during the run and its call and result are on the run; errors,
// timeouts and refused addresses go back to the model as tool results; the
// per-run limit stops the calls; a tool that changes something becomes a
// proposed action that runs only when the approver approves it.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildMail, newMessageId } from '../../support/mail-builder.ts';
import {
  TEST_API_KEY,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import {
  startOpenAiTestServer,
  tokensOf,
  type OpenAiTestServer,
  type RecordedOpenAiRequest,
} from '../../support/services/openai-server.ts';
import { startToolServer, type ToolTestServer } from '../../support/services/tool-server.ts';
import { waitUntil } from '../../support/wait.ts';

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, checked by the assertions
}

const drop = mkdtempSync(join(tmpdir(), 'postroom-tools-drop-'));
let model: OpenAiTestServer;
let tools: ToolTestServer;
let runtime: TestRuntime;

before(async () => {
  model = await startOpenAiTestServer();
  tools = await startToolServer();
  tools.on('/orders', (req) => ({
    status: 200,
    json: { order_id: req.query.order_id, status: 'shipped', eta: 'Monday' },
  }));
  tools.on('/fail', () => ({ status: 500, json: { error: 'database down' } }));
  tools.on('/slow', () => ({ hang: true }));
  tools.on('/refunds', (req) => ({ status: 201, json: { refund_id: 'rf_1', request: req.body } }));
  process.env.POSTROOM_TEST_TOOL_TOKEN = 'Bearer tool-secret-1';
  const lookup = {
    name: 'lookup_order',
    description: 'Look up an order by id',
    parameters: {
      type: 'object',
      properties: { order_id: { type: 'string' } },
      required: ['order_id'],
      additionalProperties: false,
    },
    url: `${tools.url}/orders`,
    method: 'GET',
    headers: { authorization: { env: 'POSTROOM_TEST_TOOL_TOKEN' } },
    read_only: true,
  };
  runtime = await startTestRuntime(
    {
      accounts: [
        {
          id: 'acme',
          name: 'Acme',
          api_keys: [
            {
              name: 'test',
              key: TEST_API_KEY,
              permissions: [
                'messaging:read',
                'messaging:write',
                'messaging:approve',
                'messaging:delete',
              ],
            },
          ],
          agents: [
            {
              id: 'drafter',
              name: 'Drafter',
              handle: 'drafter',
              provider: {
                type: 'openai',
                base_url: model.baseURL,
                api_key: 'sk',
                model: 'gpt-test',
              },
              instructions: 'You draft replies for Acme.',
              max_tool_calls: 3,
              tools: [
                lookup,
                { ...lookup, name: 'failing', url: `${tools.url}/fail`, headers: {} },
                { ...lookup, name: 'slow', url: `${tools.url}/slow`, timeout_ms: 300, headers: {} },
                // Private and not allowed (POSTROOM_OUTBOUND_ALLOW names 127.0.0.1 only).
                { ...lookup, name: 'internal', url: 'http://10.1.2.3/orders', headers: {} },
                {
                  name: 'refund',
                  description: 'Refund an order',
                  parameters: {
                    type: 'object',
                    properties: { order_id: { type: 'string' }, amount: { type: 'number' } },
                    required: ['order_id', 'amount'],
                  },
                  url: `${tools.url}/refunds`,
                  method: 'POST',
                },
              ],
            },
          ],
          mailboxes: [
            {
              id: 'support',
              address: 'support@acme.test',
              drop_folder: drop,
              outbox_folder: mkdtempSync(join(tmpdir(), 'postroom-tools-out-')),
              agents: ['drafter'],
            },
          ],
        },
      ],
    },
    { env: { POSTROOM_OUTBOUND_ALLOW: '127.0.0.1' } },
  );
});

after(async () => {
  await runtime.stop();
  await model.stop();
  await tools.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

async function ok(path: string, init: RequestInit = {}): Promise<Json> {
  const response = await runtime.request(path, init);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as Json;
}

let mails = 0;

/** A customer mail in a new case; resolves with the complete draft and its ended run. */
async function draftFor(subject: string): Promise<{ draft: Json; run: Json }> {
  const messageId = newMessageId('tools');
  writeFileSync(join(drop, `${++mails}.eml`), buildMail({ messageId, subject }));
  const inbound = await waitUntil(
    () => runtime.context.store.messages.findByEmailMessageId('acme', 'support', messageId),
    { what: 'the inbound mail' },
  );
  const draft = await waitUntil(
    async () =>
      (
        await ok(`/v1/messaging/conversations/${inbound.conversation_id}/messages?status=draft`)
      ).data.find((m: Json) => m.streaming_state === 'complete'),
    { what: 'a complete draft' },
  );
  const run = await waitUntil(
    async () => {
      const found = await ok(`/v1/agent-runs/${draft.agent_run_id}`);
      return found.status === 'completed' ? found : null;
    },
    { what: 'the run completed' },
  );
  return { draft, run };
}

/** The model requests made for one run: the ones after `before`. */
function requestsSince(before: number): RecordedOpenAiRequest[] {
  return model.requests.slice(before).filter((r) => r.path === '/v1/chat/completions');
}

function toolMessages(request: RecordedOpenAiRequest | undefined): Json[] {
  const messages = (request?.body?.messages ?? []) as Json[];
  return messages.filter((m) => m.role === 'tool');
}

describe('agent tools', () => {
  test('a read-only tool runs during the run; its call and result are on the run', async () => {
    const seen = model.requests.length;
    const toolsSeen = tools.requests.length;
    model.enqueue(
      {
        kind: 'tool_calls',
        calls: [{ id: 'call_a', name: 'lookup_order', arguments: '{"order_id":"A-17"}' }],
      },
      { kind: 'stream', tokens: tokensOf('Your order A-17 ships on Monday.') },
    );
    const { draft, run } = await draftFor('Where is A-17?');
    assert.equal(draft.body, 'Your order A-17 ships on Monday.');

    const [call] = tools.requests.slice(toolsSeen);
    assert.ok(call, 'the tool server was called');
    assert.equal(call.method, 'GET');
    assert.deepEqual(call.query, { order_id: 'A-17' });
    assert.equal(call.headers.authorization, 'Bearer tool-secret-1', 'the header comes from env');

    const [first, second] = requestsSince(seen);
    const offered = (first?.body?.tools ?? []) as Json[];
    assert.deepEqual(
      offered.map((t) => t.function.name),
      ['lookup_order', 'failing', 'slow', 'internal', 'refund'],
    );
    const answers = toolMessages(second);
    assert.equal(answers.length, 1);
    assert.equal(answers[0]?.tool_call_id, 'call_a');
    assert.deepEqual(JSON.parse(answers[0]?.content), {
      order_id: 'A-17',
      status: 'shipped',
      eta: 'Monday',
    });
    const assistant = ((second?.body?.messages ?? []) as Json[]).find((m) => m.tool_calls);
    assert.equal(assistant?.tool_calls[0].function.arguments, '{"order_id":"A-17"}');

    assert.equal(run.tool_calls.length, 1);
    assert.equal(run.tool_calls[0].name, 'lookup_order');
    assert.equal(run.tool_calls[0].status, 'succeeded');
    assert.equal(run.tool_calls[0].read_only, true);
    assert.deepEqual(JSON.parse(run.tool_calls[0].result), JSON.parse(answers[0]?.content));
    assert.deepEqual(run.proposed_actions, []);
  });

  test('errors, timeouts and refused addresses go back to the model', async () => {
    const seen = model.requests.length;
    model.enqueue(
      {
        kind: 'tool_calls',
        calls: [
          { id: 'c1', name: 'failing', arguments: '{"order_id":"B-1"}' },
          { id: 'c2', name: 'slow', arguments: '{"order_id":"B-1"}' },
          { id: 'c3', name: 'internal', arguments: '{"order_id":"B-1"}' },
        ],
      },
      { kind: 'stream', tokens: tokensOf('We are checking your order.') },
    );
    const { run } = await draftFor('Where is B-1?');
    const answers = toolMessages(requestsSince(seen)[1]);
    const errors = answers.map((a) => JSON.parse(a.content).error as string);
    assert.match(errors[0] ?? '', /HTTP 500/);
    assert.match(errors[1] ?? '', /did not answer within 300 ms/);
    assert.match(errors[2] ?? '', /could not be reached/);
    assert.deepEqual(
      run.tool_calls.map((c: Json) => c.status),
      ['failed', 'failed', 'failed'],
    );
    assert.equal(run.status, 'completed');
  });

  test('the per-run tool-call limit refuses calls past it and stops offering tools', async () => {
    const seen = model.requests.length;
    const toolsSeen = tools.requests.length;
    const call = (id: string) => ({ id, name: 'lookup_order', arguments: '{"order_id":"C-3"}' });
    model.enqueue(
      { kind: 'tool_calls', calls: [call('l1'), call('l2')] },
      { kind: 'tool_calls', calls: [call('l3'), call('l4')] },
      { kind: 'stream', tokens: tokensOf('Your order C-3 ships on Monday.') },
    );
    const { run } = await draftFor('Where is C-3?');
    assert.equal(tools.requests.length - toolsSeen, 3, 'three calls ran, the fourth did not');
    assert.deepEqual(
      run.tool_calls.map((c: Json) => c.status),
      ['succeeded', 'succeeded', 'succeeded', 'refused'],
    );
    assert.match(run.tool_calls[3].error, /limit of 3 tool calls/);
    const requests = requestsSince(seen);
    assert.equal(requests.length, 3);
    assert.ok(requests[1]?.body?.tools, 'tools are offered while calls remain');
    assert.equal(requests[2]?.body?.tools, undefined, 'no tools once the limit is used up');
    assert.match(toolMessages(requests[2]).at(-1)?.content, /limit of 3 tool calls/);
  });

  test('a tool that changes something is proposed, and runs only when approved', async () => {
    const seen = model.requests.length;
    const refundsBefore = () => tools.requests.filter((r) => r.path === '/refunds').length;
    const before = refundsBefore();
    model.enqueue(
      {
        kind: 'tool_calls',
        calls: [{ id: 'r1', name: 'refund', arguments: '{"order_id":"D-4","amount":20}' }],
      },
      { kind: 'stream', tokens: tokensOf('We have asked for a refund of 20 for D-4.') },
    );
    const { draft, run } = await draftFor('Refund D-4 please');
    assert.equal(refundsBefore(), before, 'the refund did not run during the run');
    const answer = JSON.parse(toolMessages(requestsSince(seen)[1])[0]?.content);
    assert.equal(answer.status, 'proposed');
    assert.equal(run.tool_calls[0].status, 'proposed');
    assert.equal(run.proposed_actions.length, 1);
    const [action] = run.proposed_actions;
    assert.equal(action.status, 'pending');
    assert.equal(action.tool, 'refund');
    assert.equal(action.id, answer.action_id);

    // The approver sees it on the draft.
    const shown = await ok(`/v1/messaging/messages/${draft.id}?include[]=agent_run`);
    assert.equal(shown.agent_run.proposed_actions[0].id, action.id);

    // Approving the draft does not run it.
    await ok(`/v1/messaging/messages/${draft.id}/actions/approve`, {
      method: 'POST',
      body: JSON.stringify({}),
    });
    assert.equal(refundsBefore(), before);

    const path = `/v1/messaging/messages/${draft.id}/proposed-actions/${action.id}`;
    const approved = await ok(`${path}/approve`, { method: 'POST', body: '{}' });
    assert.equal(approved.status, 'succeeded');
    assert.equal(typeof approved.decided_by, 'string');
    assert.deepEqual(JSON.parse(approved.result), {
      refund_id: 'rf_1',
      request: { order_id: 'D-4', amount: 20 },
    });
    const refund = tools.requests.filter((r) => r.path === '/refunds').at(-1);
    assert.equal(refund?.method, 'POST');
    assert.deepEqual(refund?.body, { order_id: 'D-4', amount: 20 });

    const again = await runtime.request(`${path}/approve`, { method: 'POST', body: '{}' });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as Json).error.code, 'action_decided');
    assert.equal(refundsBefore(), before + 1, 'it ran once');

    const unknown = await runtime.request(
      `/v1/messaging/messages/${draft.id}/proposed-actions/pac_nope/approve`,
      { method: 'POST', body: '{}' },
    );
    assert.equal(unknown.status, 404);
    const run2 = await ok(`/v1/agent-runs/${run.id}`);
    assert.equal(run2.proposed_actions[0].status, 'succeeded');
  });

  test("redacting the case erases the tool calls' arguments and results", async () => {
    model.enqueue(
      {
        kind: 'tool_calls',
        calls: [
          { id: 'x1', name: 'lookup_order', arguments: '{"order_id":"E-5"}' },
          { id: 'x2', name: 'refund', arguments: '{"order_id":"E-5","amount":9}' },
        ],
      },
      { kind: 'stream', tokens: tokensOf('Order E-5 ships Monday.') },
    );
    const { run } = await draftFor('Where is E-5?');
    assert.equal(run.tool_calls[0].status, 'succeeded');
    await ok(`/v1/messaging/conversations/${run.conversation_id}/actions/redact`, {
      method: 'POST',
      body: '{}',
    });
    const after = await ok(`/v1/agent-runs/${run.id}`);
    for (const call of after.tool_calls) {
      assert.equal(call.arguments, '[redacted]');
      assert.equal(call.result, null);
    }
    assert.deepEqual(
      after.tool_calls.map((c: Json) => [c.name, c.status]),
      [
        ['lookup_order', 'succeeded'],
        ['refund', 'proposed'],
      ],
    );
    assert.equal(after.proposed_actions[0].arguments, '[redacted]');
  });
});
