// The guards around agent runs: one stream per conversation at a time, however
// many agents answer, and an hourly cap per conversation whose refusals are
// recorded rather than lost.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
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

let model: OpenAiTestServer;
let runtime: TestRuntime;

before(async () => {
  model = await startOpenAiTestServer();
  model.setDefault({
    kind: 'stream',
    tokens: tokensOf('A reply streamed word by word for a little while.'),
    delayMs: 10,
  });
  const provider = {
    type: 'openai',
    base_url: model.baseURL,
    api_key: 'sk-test',
    model: 'gpt-test',
  };
  runtime = await startTestRuntime({
    accounts: [
      {
        id: 'acme',
        name: 'Acme',
        api_keys: [
          {
            name: 'test',
            key: TEST_API_KEY,
            permissions: ['messaging:read', 'messaging:write', 'admin'],
          },
        ],
        agents: [
          { id: 'first', name: 'First', handle: 'first', provider, trigger_policy: 'always' },
          { id: 'second', name: 'Second', handle: 'second', provider, trigger_policy: 'always' },
        ],
        mailboxes: [
          {
            id: 'support',
            address: 'support@acme.test',
            drop_folder: mkdtempSync(join(tmpdir(), 'drop-')),
            outbox_folder: mkdtempSync(join(tmpdir(), 'out-')),
            agents: ['first', 'second'],
          },
        ],
        agent_runs_per_conversation_per_hour: 3,
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

async function openCase(): Promise<string> {
  const { store } = runtime.context;
  const conversation = await store.conversations.create({
    account_id: 'acme',
    type: 'group',
    audience: 'customer',
    title: 'Limits',
    workflow_status: 'new',
    mailbox_id: 'support',
    participants: ['first', 'second'].map((key) => ({
      type: 'agent' as const,
      role: 'member' as const,
      actor_id: `agt_acme_${key}`,
      agent_trigger_policy: 'always' as const,
    })),
  });
  return conversation._id;
}

async function note(conversation: string, body: string): Promise<string> {
  const response = await runtime.request(`/v1/messaging/conversations/${conversation}/messages`, {
    method: 'POST',
    body: JSON.stringify({ body, visibility: 'internal', channel: 'message' }),
  });
  assert.equal(response.status, 201);
  return ((await response.json()) as { id: string }).id;
}

describe('agent run limits', () => {
  test('two agents answering one message stream one after the other, never at once', async () => {
    const conversation = await openCase();
    const trigger = await note(conversation, 'Please draft something.');
    const runs = await waitUntil(
      async () => {
        const found = await Promise.all(
          ['first', 'second'].map((key) =>
            runtime.context.store.agentRuns.findByTrigger(trigger, `agt_acme_${key}`),
          ),
        );
        return found.every((run) => run?.status === 'completed') ? found : null;
      },
      { what: 'both runs to complete', timeoutMs: 30_000 },
    );
    const [a, b] = runs.map((run) => ({
      start: run?.timings.started_at?.getTime() ?? 0,
      end: run?.timings.completed_at?.getTime() ?? 0,
    }));
    assert.ok(a && b);
    assert.ok(
      a.end <= b.start || b.end <= a.start,
      `streams overlapped: ${JSON.stringify([a, b])}`,
    );
  });

  test('past the hourly cap a trigger is recorded as capped, not run and not lost', async () => {
    const conversation = await openCase();
    // Cap 3 per hour: the first note starts 2 runs (two agents), the second 1 more, then capped.
    const first = await note(conversation, 'One.');
    await waitUntil(() => runtime.context.store.agentRuns.findByTrigger(first, 'agt_acme_second'), {
      what: 'run 2',
    });
    const second = await note(conversation, 'Two.');
    const capped = await waitUntil(
      async () => {
        const runs = await Promise.all(
          ['first', 'second'].map((key) =>
            runtime.context.store.agentRuns.findByTrigger(second, `agt_acme_${key}`),
          ),
        );
        return runs.every(Boolean) ? runs : null;
      },
      { what: 'the runs of the second note' },
    );
    const statuses = capped.map((run) => run?.status);
    assert.ok(statuses.includes('capped'), `statuses: ${statuses.join(', ')}`);
    const refused = capped.find((run) => run?.status === 'capped');
    assert.equal(refused?.error?.code, 'run_cap_reached');
  });
});
