// Agent runs through the HTTP API, over the real runtime and the
// OpenAI-compatible test server: a draft's agent_run expands with
// include[]=agent_run (null otherwise, as the seed answers it), GET
// /v1/agent-runs/{id} shows the run, and a conversation's runs list newest
// first with cursor pagination; another account sees none of it.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  startOpenAiTestServer,
  tokensOf,
  type OpenAiTestServer,
} from '../../support/services/openai-server.ts';
import { buildMail, newMessageId } from '../../support/mail-builder.ts';
import {
  TEST_API_KEY,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, checked by the assertions
}

const APPROVER = 'pk_test_runs_approver_001';
const GLOBEX = 'pk_test_runs_globex_00001';
const REPLY = 'Hello Jane, your order ships tomorrow.';
const drop = mkdtempSync(join(tmpdir(), 'postroom-runs-drop-'));
let model: OpenAiTestServer;
let runtime: TestRuntime;

before(async () => {
  model = await startOpenAiTestServer();
  model.setDefault({ kind: 'stream', tokens: tokensOf('Default reply.') });
  runtime = await startTestRuntime({
    accounts: [
      {
        id: 'acme',
        name: 'Acme',
        api_keys: [
          {
            name: 'test',
            key: TEST_API_KEY,
            permissions: ['messaging:read', 'messaging:write', 'messaging:approve'],
          },
          { name: 'approver', key: APPROVER, permissions: ['messaging:approve'] },
        ],
        agents: [
          {
            id: 'drafter',
            name: 'Drafter',
            handle: 'drafter',
            provider: { type: 'openai', base_url: model.baseURL, api_key: 'sk', model: 'gpt-test' },
            instructions: 'You draft polite replies for Acme.',
            trigger_policy: 'always',
          },
        ],
        mailboxes: [
          {
            id: 'support',
            address: 'support@acme.test',
            drop_folder: drop,
            outbox_folder: mkdtempSync(join(tmpdir(), 'postroom-runs-out-')),
            agents: ['drafter'],
          },
        ],
        agent_runs_per_conversation_per_hour: 10,
      },
      {
        id: 'globex',
        name: 'Globex',
        api_keys: [{ name: 'g', key: GLOBEX, permissions: ['messaging:read', 'admin'] }],
      },
    ],
  });
});

after(async () => {
  await runtime.stop();
  await model.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

function get(path: string, key?: string): Promise<Response> {
  return runtime.request(path, key ? { headers: { authorization: `Bearer ${key}` } } : {});
}

async function ok(path: string): Promise<Json> {
  const response = await get(path);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as Json;
}

async function errorOf(response: Response, status: number): Promise<Json> {
  assert.equal(response.status, status, await response.clone().text());
  return ((await response.json()) as Json).error;
}

/** A run as the API shows it, once it has ended. */
function endedRun(id: string): Promise<Json> {
  return waitUntil(
    async () => {
      const run = await ok(`/v1/agent-runs/${id}`);
      return run.status === 'completed' ? run : null;
    },
    { what: `run ${id} completed` },
  );
}

describe('agent runs', () => {
  let conversation = '';
  let trigger = '';
  let draft: Json = {};
  let firstRun: Json = {};

  before(async () => {
    model.enqueue({ kind: 'stream', tokens: tokensOf(REPLY), delayMs: 2 });
    const messageId = newMessageId('runs');
    writeFileSync(join(drop, '1.eml'), buildMail({ messageId, subject: 'Late order' }));
    const inbound = await waitUntil(
      () => runtime.context.store.messages.findByEmailMessageId('acme', 'support', messageId),
      { what: 'the inbound mail' },
    );
    conversation = inbound.conversation_id;
    trigger = inbound._id;
    draft = await waitUntil(
      async () =>
        (await ok(`/v1/messaging/conversations/${conversation}/messages?status=draft`)).data.find(
          (m: Json) => m.streaming_state === 'complete',
        ),
      { what: 'a complete draft' },
    );
    firstRun = await endedRun(draft.agent_run_id);
  });

  test('a draft names its run; agent_run is null unless included, as the seed answers it', async () => {
    assert.match(draft.agent_run_id, /^run_/);
    assert.equal(draft.agent_run, null);
    const plain = await ok(`/v1/messaging/messages/${draft.id}`);
    assert.equal(plain.agent_run, null);
    assert.equal(plain.agent_run_id, draft.agent_run_id);
  });

  test('include[]=agent_run expands the run on the message and on the list', async () => {
    const message = await ok(`/v1/messaging/messages/${draft.id}?include[]=agent_run`);
    assert.deepEqual(message.agent_run, firstRun);

    const page = await ok(
      `/v1/messaging/conversations/${conversation}/messages?include[]=agent_run&limit=100`,
    );
    const listed = page.data.find((m: Json) => m.id === draft.id);
    assert.deepEqual(listed.agent_run, firstRun);
    // The customer's mail was not produced by an agent: null (the seed).
    const inbound = page.data.find((m: Json) => m.id === trigger);
    assert.equal(inbound.agent_run, null);
    assert.equal(inbound.agent_run_id, null);

    const comma = await ok(`/v1/messaging/messages/${draft.id}?include=agent_run`);
    assert.deepEqual(comma.agent_run, firstRun);

    // The next page keeps the expansion.
    const paged = await ok(
      `/v1/messaging/conversations/${conversation}/messages?include[]=agent_run&limit=1`,
    );
    assert.match(paged.page_info.next_page_url, /[?&]include=agent_run(&|$)/);
    assert.equal(paged.data[0].id, trigger, 'the customer mail first (sent, by sequence)');
    const rest = await ok(paged.page_info.next_page_url);
    assert.equal(rest.data[0].id, draft.id, 'then the draft');
    assert.deepEqual(rest.data[0].agent_run, firstRun);
  });

  test('GET /v1/agent-runs/{id}: model, tokens, timings, instructions version, context ids, outcome', async () => {
    const run = firstRun;
    assert.equal(run.object, 'agent_run');
    assert.equal(run.id, draft.agent_run_id);
    assert.equal(run.agent_id, 'agt_acme_drafter');
    assert.equal(run.conversation_id, conversation);
    assert.equal(run.trigger_message_id, trigger);
    assert.equal(run.draft_message_id, draft.id);
    assert.equal(run.model, 'gpt-test');
    assert.equal(run.status, 'completed');
    assert.equal(run.outcome, 'drafted');
    assert.equal(run.attempts, 1);
    assert.equal(run.generation, null);
    assert.equal(run.error, null);
    assert.equal(run.usage.completion_tokens, tokensOf(REPLY).length);
    assert.ok(run.usage.prompt_tokens > 0);
    assert.equal(run.usage.total_tokens, run.usage.prompt_tokens + run.usage.completion_tokens);
    const { queued_at, started_at, first_token_at, completed_at } = run.timings;
    for (const at of [queued_at, started_at, first_token_at, completed_at]) {
      assert.ok(!Number.isNaN(Date.parse(at)), `timestamp ${at}`);
    }
    assert.ok(Date.parse(queued_at) <= Date.parse(started_at));
    assert.ok(Date.parse(started_at) <= Date.parse(first_token_at));
    assert.ok(Date.parse(first_token_at) <= Date.parse(completed_at));
    assert.equal(typeof run.instructions_version, 'string');
    assert.equal(run.instructions_version.length, 12);
    assert.deepEqual(run.context_message_ids, [trigger]);
  });

  test("a conversation's runs: newest first, cursor-paginated", async () => {
    model.enqueue({ kind: 'stream', tokens: tokensOf('A better reply.') });
    const regenerate = await runtime.request(
      `/v1/messaging/conversations/${conversation}/actions/regenerate`,
      { method: 'POST', body: '{}' },
    );
    assert.equal(regenerate.status, 200, await regenerate.clone().text());
    const second = await waitUntil(
      async () => {
        const page = await ok(`/v1/messaging/conversations/${conversation}/agent-runs`);
        const newest = page.data[0];
        return page.data.length === 2 && newest.status === 'completed' ? newest : null;
      },
      { what: 'the regenerated run completed' },
    );
    assert.equal(second.generation, 1);
    assert.equal(second.outcome, 'drafted');
    assert.notEqual(second.id, firstRun.id);

    const first = await ok(`/v1/messaging/conversations/${conversation}/agent-runs?limit=1`);
    assert.equal(first.object, 'list');
    assert.deepEqual(
      first.data.map((r: Json) => r.id),
      [second.id],
    );
    assert.equal(first.page_info.has_next_page, true);
    assert.equal(first.page_info.has_prev_page, false);
    assert.match(first.page_info.next_page_url, /^\/v1\/messaging\/conversations\/.+after=/);
    const next = await ok(first.page_info.next_page_url);
    assert.deepEqual(
      next.data.map((r: Json) => r.id),
      [firstRun.id],
    );
    assert.equal(next.page_info.has_next_page, false);
    assert.equal(next.page_info.has_prev_page, true);
  });

  test('another account gets 404s; a key without messaging:read a 403; bad parameters a 400', async () => {
    const foreignRun = await errorOf(await get(`/v1/agent-runs/${firstRun.id}`, GLOBEX), 404);
    assert.equal(foreignRun.type, 'not_found');
    await errorOf(await get(`/v1/messaging/conversations/${conversation}/agent-runs`, GLOBEX), 404);
    const foreignMessage = await get(
      `/v1/messaging/messages/${draft.id}?include[]=agent_run`,
      GLOBEX,
    );
    await errorOf(foreignMessage, 404);

    const denied = await errorOf(await get(`/v1/agent-runs/${firstRun.id}`, APPROVER), 403);
    assert.match(denied.message, /messaging:read/);
    await errorOf(
      await get(`/v1/messaging/conversations/${conversation}/agent-runs`, APPROVER),
      403,
    );

    assert.equal((await errorOf(await get('/v1/agent-runs/run_missing'), 404)).type, 'not_found');
    const badInclude = await errorOf(
      await get(`/v1/messaging/messages/${draft.id}?include[]=agent_runs`),
      400,
    );
    assert.match(badInclude.message, /include/);
    await errorOf(await get(`/v1/agent-runs/${firstRun.id}?include[]=agent_run`), 400);
    await errorOf(
      await get(`/v1/messaging/conversations/${conversation}/agent-runs?limit=abc`),
      400,
    );
  });
});
