// POST /v1/messaging/conversations/{id}/actions/regenerate through the real
// runtime against the OpenAI-compatible test server: after a run that failed
// for good the team gets a draft again once the model is back; a pending draft
// is superseded (with the reason) by the new one; the hourly cap holds.
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

type Json = Record<string, unknown> & { id: string };
type ErrorBody = { error: { type: string; code: string; message: string } };

const DRAFTER = 'agt_acme_drafter';
const READER = 'pk_test_regen_reader_0001';
const GLOBEX = 'pk_test_regen_globex_0001';
const drop = mkdtempSync(join(tmpdir(), 'postroom-regen-drop-'));
let model: OpenAiTestServer;
let runtime: TestRuntime;
let fileCounter = 0;

before(async () => {
  model = await startOpenAiTestServer();
  model.setDefault({ kind: 'stream', tokens: tokensOf('Default reply.') });
  const all = ['messaging:read', 'messaging:write', 'messaging:approve', 'admin'];
  runtime = await startTestRuntime({
    accounts: [
      {
        id: 'acme',
        name: 'Acme',
        api_keys: [
          { name: 'test', key: TEST_API_KEY, permissions: all },
          { name: 'reader', key: READER, permissions: ['messaging:read', 'messaging:write'] },
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
            outbox_folder: mkdtempSync(join(tmpdir(), 'postroom-regen-out-')),
            agents: ['drafter'],
          },
        ],
        // The first run and two regenerations per conversation and hour.
        agent_runs_per_conversation_per_hour: 3,
      },
      { id: 'globex', name: 'Globex', api_keys: [{ name: 'g', key: GLOBEX, permissions: all }] },
    ],
  });
});

after(async () => {
  await runtime.stop();
  await model.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

/** A customer's mail into the drop folder; resolves to its case once ingested. */
async function newCase(subject: string): Promise<{ conversation: string; trigger: string }> {
  const id = newMessageId('regen');
  fileCounter += 1;
  writeFileSync(join(drop, `${fileCounter}.eml`), buildMail({ messageId: id, subject }));
  const message = await waitUntil(
    () => runtime.context.store.messages.findByEmailMessageId('acme', 'support', id),
    { what: `inbound ${id}` },
  );
  return { conversation: message.conversation_id, trigger: message._id };
}

function regenerate(conversation: string, body: unknown = {}, key?: string): Promise<Response> {
  return runtime.request(`/v1/messaging/conversations/${conversation}/actions/regenerate`, {
    method: 'POST',
    body: JSON.stringify(body),
    ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}),
  });
}

async function errorOf(response: Response, status: number): Promise<ErrorBody['error']> {
  assert.equal(response.status, status, await response.clone().text());
  return ((await response.json()) as ErrorBody).error;
}

async function messages(conversation: string, status?: string): Promise<Json[]> {
  const query = status ? `&status=${status}` : '';
  const page = await runtime.json<{ data: Json[] }>(
    `/v1/messaging/conversations/${conversation}/messages?limit=100${query}`,
  );
  return page.data;
}

function completeDraft(conversation: string, body: string): Promise<Json> {
  return waitUntil(
    async () =>
      (await messages(conversation, 'draft')).find(
        (m) => m.streaming_state === 'complete' && m.body === body,
      ),
    { what: `the draft "${body}"`, timeoutMs: 30_000 },
  );
}

interface AuditEntry {
  kind: string;
  message_id: string | null;
  actor: { id: string; type: string } | null;
  changes: Array<{ field: string; before: unknown; after: unknown }>;
}

async function auditOf(conversation: string): Promise<AuditEntry[]> {
  const page = await runtime.json<{ data: AuditEntry[] }>(
    `/v1/messaging/conversations/${conversation}/audit`,
  );
  return page.data;
}

async function workflowOf(conversation: string): Promise<unknown> {
  return (await runtime.json<Json>(`/v1/messaging/conversations/${conversation}`)).workflow_status;
}

describe('regenerate', () => {
  let failedCase: { conversation: string; trigger: string };

  test('after a run that failed for good: the model is back, a new draft awaits approval', async () => {
    // Every attempt of the first run fails (the catalog allows 4).
    model.enqueue(...Array.from({ length: 4 }, () => ({ kind: 'status', status: 500 }) as const));
    failedCase = await newCase('Model outage');
    const { conversation, trigger } = failedCase;
    await waitUntil(async () => (await messages(conversation)).find((m) => m.kind === 'alert'), {
      what: 'the failed-run alert',
      timeoutMs: 30_000,
    });
    const failed = await runtime.context.store.agentRuns.findByTrigger(trigger, DRAFTER);
    assert.equal(failed?.status, 'failed');
    assert.equal(await workflowOf(conversation), 'new');

    const response = await regenerate(conversation);
    assert.equal(response.status, 200, await response.clone().text());
    const json = (await response.json()) as Json;
    assert.equal(json.id, conversation);

    const draft = await completeDraft(conversation, 'Default reply.');
    assert.equal(draft.kind, 'agent');
    await waitUntil(async () => (await workflowOf(conversation)) === 'needs_approval', {
      what: 'the case in needs_approval',
    });
    // A new run for the same trigger, numbered as the first regeneration; the failed one stays.
    const regenerated = await waitUntil(async () => {
      const run = await runtime.context.store.agentRuns.findByTrigger(trigger, DRAFTER, 1);
      return run?.status === 'completed' ? run : null;
    });
    assert.equal(regenerated.draft_message_id, draft.id);
    assert.equal(
      (await runtime.context.store.agentRuns.findByTrigger(trigger, DRAFTER))?.status,
      'failed',
    );
    // The audit trail names who asked, the failed run and the new one.
    const audit = await auditOf(conversation);
    const entry = audit.find((e) => e.kind === 'draft_regenerated');
    assert.ok(entry, JSON.stringify(audit));
    assert.equal(entry.actor?.type, 'api_key', 'the key that asked');
    assert.equal(entry.message_id, null);
    assert.deepEqual(entry.changes, [
      { field: 'agent_id', before: null, after: DRAFTER },
      { field: 'agent_run_id', before: failed?._id, after: regenerated._id },
      { field: 'superseded_drafts', before: null, after: 0 },
    ]);
  });

  test('a pending draft is superseded, with the reason, by the new one', async () => {
    const { conversation } = failedCase;
    const [old] = await messages(conversation, 'draft');
    assert.ok(old);
    model.enqueue({ kind: 'stream', tokens: tokensOf('A better reply.') });
    const response = await regenerate(conversation, { agent_id: DRAFTER });
    assert.equal(response.status, 200, await response.clone().text());

    const replaced = (await runtime.json(`/v1/messaging/messages/${old.id}`)) as Json & {
      supersession: { reason: string; superseded_by: string; agent_run_id: string };
    };
    assert.equal(replaced.status, 'superseded');
    assert.match(replaced.supersession.reason, /regenerate/);
    assert.ok(replaced.supersession.superseded_by);
    assert.ok(replaced.supersession.agent_run_id);

    const draft = await completeDraft(conversation, 'A better reply.');
    assert.deepEqual(
      (await messages(conversation, 'draft')).map((m) => m.id),
      [draft.id],
      'one draft awaits approval',
    );
    const regenerations = (await auditOf(conversation)).filter(
      (e) => e.kind === 'draft_regenerated',
    );
    assert.equal(regenerations.length, 2);
    assert.deepEqual(regenerations[1]?.changes.at(-1), {
      field: 'superseded_drafts',
      before: null,
      after: 1,
    });
    await waitUntil(async () => (await workflowOf(conversation)) === 'needs_approval');
    // A superseded draft cannot be approved any more.
    const approve = await runtime.request(`/v1/messaging/messages/${old.id}/actions/approve`, {
      method: 'POST',
      body: '{}',
    });
    assert.equal((await errorOf(approve, 409)).code, 'invalid_state');
  });

  test('while a run is in progress: 409; over the hourly cap: 429', async () => {
    model.enqueue({ kind: 'stream', tokens: tokensOf('First draft.') });
    const { conversation } = await newCase('Cap');
    await completeDraft(conversation, 'First draft.');
    // The first run's completed write follows its draft: wait until it is not live.
    await waitUntil(async () => {
      const run = await runtime.context.store.agentRuns.latestInConversation('acme', conversation);
      return run?.status === 'completed';
    });

    model.enqueue({ kind: 'stream', tokens: tokensOf('Slow second draft.'), delayMs: 50 });
    assert.equal((await regenerate(conversation)).status, 200);
    assert.equal((await errorOf(await regenerate(conversation), 409)).code, 'run_in_progress');
    await completeDraft(conversation, 'Slow second draft.');
    await waitUntil(async () => {
      const run = await runtime.context.store.agentRuns.latestInConversation('acme', conversation);
      return run?.status === 'completed';
    });

    assert.equal((await regenerate(conversation)).status, 200, 'the third run of the hour');
    await waitUntil(async () => {
      const run = await runtime.context.store.agentRuns.latestInConversation('acme', conversation);
      return run?.generation === 2 && run.status === 'completed';
    });
    const capped = await errorOf(await regenerate(conversation), 429);
    assert.equal(capped.code, 'run_cap_reached');
    assert.match(capped.message, /cap 3/);
  });

  test('permissions, other accounts, unknown agents and bad bodies', async () => {
    const { conversation } = failedCase;
    assert.equal(
      (await errorOf(await regenerate(conversation, {}, READER), 403)).code,
      'missing_permission',
    );
    assert.equal(
      (await errorOf(await regenerate(conversation, {}, GLOBEX), 404)).code,
      'resource_not_found',
    );
    assert.equal((await errorOf(await regenerate('cnv_missing'), 404)).code, 'resource_not_found');
    const stranger = await errorOf(await regenerate(conversation, { agent_id: 'agt_x' }), 422);
    assert.equal(stranger.code, 'agent_not_in_conversation');
    assert.match(stranger.message, /^body\.agent_id:/);
    const bad = await errorOf(await regenerate(conversation, { agent_id: 'no spaces' }), 400);
    assert.match(bad.message, /^body\.agent_id:/);
    const unknown = await errorOf(await regenerate(conversation, { agent: DRAFTER }), 400);
    assert.equal(unknown.code, 'invalid_parameter');
  });
});
