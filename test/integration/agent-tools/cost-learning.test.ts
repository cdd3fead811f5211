// Costs, budgets and learning from edits through the real runtime and the
// OpenAI-compatible test server: a run's cost follows its agent's pricing
// (and the spend metric), an edited approval leaves a pair that a later run
// of the same agent is shown as an example, the approval metrics show edit
// distance per week, and a budget refuses a run before the model is asked,
// with an alert on the case, the reason on the run and an audit entry.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { internalsOf } from '../../../src/store/connect.ts';
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
} from '../../support/services/openai-server.ts';
import { waitUntil } from '../../support/wait.ts';

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, checked by the assertions
}

const TIGHT_KEY = 'pk_test_cost_tight_000001';
const drops = {
  acme: mkdtempSync(join(tmpdir(), 'postroom-cost-acme-')),
  tight: mkdtempSync(join(tmpdir(), 'postroom-cost-tight-')),
};
let model: OpenAiTestServer;
let runtime: TestRuntime;

function account(id: 'acme' | 'tight', key: string, budgets: Json, agentBudget?: Json): Json {
  return {
    id,
    name: id,
    api_keys: [
      {
        name: 'k',
        key,
        permissions: ['messaging:read', 'messaging:write', 'messaging:approve'],
      },
    ],
    agents: [
      {
        id: 'drafter',
        name: 'Drafter',
        handle: 'drafter',
        provider: { type: 'openai', base_url: model.baseURL, api_key: 'sk', model: 'gpt-test' },
        instructions: 'You draft replies.',
        pricing: { input_per_1k: 1, output_per_1k: 2 },
        ...(agentBudget ? { budget: agentBudget } : {}),
      },
    ],
    mailboxes: [
      {
        id: 'support',
        address: `support@${id}.test`,
        drop_folder: drops[id],
        outbox_folder: mkdtempSync(join(tmpdir(), 'postroom-cost-out-')),
        agents: ['drafter'],
      },
    ],
    budgets,
  };
}

before(async () => {
  model = await startOpenAiTestServer();
  model.setDefault({ kind: 'stream', tokens: tokensOf('Hello, your parcel is on its way.') });
  runtime = await startTestRuntime({
    accounts: [
      account('acme', TEST_API_KEY, { per_conversation: 1000 }, { monthly: 50 }),
      // Far less than any prompt costs at 1 per 1k tokens: every run is refused.
      account('tight', TIGHT_KEY, { per_conversation: 0.000001 }),
    ],
  });
});

after(async () => {
  await runtime.stop();
  await model.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

async function ok(path: string, init: RequestInit = {}, key = TEST_API_KEY): Promise<Json> {
  const response = await runtime.request(path, {
    ...init,
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as Json;
}

let mails = 0;

async function mail(
  accountId: 'acme' | 'tight',
  subject: string,
  body: string,
): Promise<{ conversation: string; trigger: string }> {
  const messageId = newMessageId('cost');
  writeFileSync(join(drops[accountId], `${++mails}.eml`), buildMail({ messageId, subject, body }));
  const inbound = await waitUntil(
    () => runtime.context.store.messages.findByEmailMessageId(accountId, 'support', messageId),
    { what: 'the inbound mail' },
  );
  return { conversation: inbound.conversation_id, trigger: inbound._id };
}

async function runOf(accountId: string, conversation: string, key: string): Promise<Json> {
  return waitUntil(
    async () => {
      const runs = await ok(`/v1/messaging/conversations/${conversation}/agent-runs`, {}, key);
      const run = runs.data[0];
      return run && run.status !== 'queued' && run.status !== 'running' ? run : null;
    },
    { what: `the run in ${accountId}'s conversation ended` },
  );
}

describe('costs, budgets and learning from edits', () => {
  let firstDraft: Json = {};
  const edited =
    'Dear Jane,\n\nYour parcel left our warehouse today.\n\nKind regards,\nThe Acme team';

  test('a run records its cost at the agent pricing, and the spend metric counts it', async () => {
    const { conversation } = await mail('acme', 'Parcel late', 'Where is my parcel? It is late.');
    const run = await runOf('acme', conversation, TEST_API_KEY);
    assert.equal(run.status, 'completed');
    const input = (run.usage.prompt_tokens * 1) / 1000;
    const output = (run.usage.completion_tokens * 2) / 1000;
    assert.ok(run.usage.prompt_tokens > 0);
    assert.equal(run.cost.input, Math.round(input * 1e6) / 1e6);
    assert.equal(run.cost.output, Math.round(output * 1e6) / 1e6);
    assert.equal(run.cost.total, Math.round((input + output) * 1e6) / 1e6);
    assert.deepEqual(run.edit_example_ids, [], 'no edits to learn from yet');

    const metrics = await (await fetch(`${runtime.api}/metrics`)).text();
    const line = metrics
      .split('\n')
      .find((l) => l.startsWith('postroom_agent_spend_total{account="acme",agent="drafter"}'));
    assert.ok(line, metrics.slice(0, 300));
    assert.equal(Number(line.split(' ').at(-1)), run.cost.total);
    firstDraft = await ok(`/v1/messaging/messages/${run.draft_message_id}`);
  });

  test('an edited approval is offered to a later run of the agent as an example', async () => {
    await ok(`/v1/messaging/messages/${firstDraft.id}/actions/approve`, {
      method: 'POST',
      body: JSON.stringify({ body: edited }),
    });
    const seen = model.requests.length;
    const { conversation } = await mail('acme', 'Parcel?', 'My parcel is late, where is it?');
    const run = await runOf('acme', conversation, TEST_API_KEY);
    assert.equal(run.status, 'completed');
    assert.equal(run.edit_example_ids.length, 1);
    const request = model.requests.slice(seen).find((r) => r.path === '/v1/chat/completions');
    const messages = (request?.body?.messages ?? []) as Json[];
    const examples = messages.find(
      (m) => m.role === 'system' && String(m.content).includes('Past drafts of yours'),
    );
    assert.ok(examples, 'the examples are in the prompt');
    assert.ok(String(examples.content).includes('Your parcel left our warehouse today.'));
    assert.ok(String(examples.content).includes(firstDraft.body));
    assert.equal(messages[0]?.role, 'system', 'the instructions stay first');
    assert.notEqual(messages[0], examples);
  });

  test('the approval metrics show edit distance per week', async () => {
    const metrics = await ok('/v1/metrics/approvals');
    const weeks = metrics.edit_distance_by_week as Json[];
    assert.equal(weeks.length, 1);
    const [week] = weeks;
    assert.equal(week?.count, 1);
    assert.ok(week?.mean > 0 && week?.mean <= 1);
    assert.equal(week?.p50, week?.mean);
    const start = new Date(week?.week_start);
    assert.equal(start.getUTCDay(), 1, 'weeks start on Monday');
    assert.ok(Date.now() - start.getTime() < 7 * 24 * 3_600_000);
  });

  test('a per-conversation budget refuses the run before the model is asked', async () => {
    const seen = model.requests.length;
    const { conversation, trigger } = await mail('tight', 'Help', 'Where is my parcel?');
    const run = await runOf('tight', conversation, TIGHT_KEY);
    assert.equal(run.status, 'capped');
    assert.equal(run.outcome, 'capped');
    assert.equal(run.error.code, 'budget_exceeded');
    assert.match(run.error.message, /per-conversation budget of 0\.000001/);
    assert.equal(run.draft_message_id, null);
    assert.equal(model.requests.length, seen, 'no request reached the model');

    const thread = await ok(`/v1/messaging/conversations/${conversation}/messages`, {}, TIGHT_KEY);
    const alert = thread.data.find((m: Json) => m.kind === 'alert');
    assert.ok(alert, 'the case has an alert');
    assert.equal(alert.reply_to_id, trigger);
    assert.match(alert.body, /did not draft a reply: the per-conversation budget/);
    const audit = await ok(`/v1/messaging/conversations/${conversation}/audit`, {}, TIGHT_KEY);
    const entry = audit.data.find((e: Json) => e.kind === 'agent_budget_exceeded');
    assert.ok(entry, JSON.stringify(audit.data.map((e: Json) => e.kind)));
  });

  test("an agent's monthly budget refuses runs once this month's spend reaches it", async () => {
    // This month's spend of the agent, as if it had drafted a lot already.
    const { AgentRun } = internalsOf(runtime.context.store).models;
    await AgentRun.updateOne(
      { account_id: 'acme', status: 'completed' },
      { $set: { 'cost.total': 50 } },
      { timestamps: false },
    ).exec();
    const seen = model.requests.length;
    const { conversation } = await mail('acme', 'Another', 'And another question.');
    const run = await runOf('acme', conversation, TEST_API_KEY);
    assert.equal(run.status, 'capped');
    assert.equal(run.error.code, 'budget_exceeded');
    assert.match(run.error.message, /agent's monthly budget of 50/);
    assert.equal(model.requests.length, seen);
  });
});
