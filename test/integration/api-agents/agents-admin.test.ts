// The agents admin API through the real runtime: list, read, create (with
// its actor), update, the uniqueness rules, and no provider secret ever out.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { agentIdFor } from '../../../src/store/index.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import {
  ACME,
  DRAFTER,
  GLOBEX_KEY,
  READER_KEY,
  agentParticipant,
  createCase,
  errorOf,
  patch,
  post,
  startAgentsRuntime,
  stopRuntime,
  type Json,
} from './helpers.ts';

let runtime: TestRuntime;
const responses: string[] = [];

async function json<T = Json>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  responses.push(text);
  assert.equal(response.status, status, text);
  return JSON.parse(text) as T;
}

const version = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

// The agent's own key, for a model server on this machine: reachable because
// POSTROOM_OUTBOUND_ALLOW lists 127.0.0.1 for this runtime.
const openaiAgent = {
  key: 'triage',
  name: 'Triage',
  handle: 'Triage',
  provider: {
    type: 'openai',
    model: 'gpt-4o-mini',
    base_url: 'http://127.0.0.1:4010/v1',
    api_key: 'sk-secret-triage-key',
    temperature: 0.2,
  },
  instructions: 'Sort incoming cases.',
  trigger_policy: 'keyword',
  trigger_keywords: ['urgent', ' Urgent '],
};

describe('agents admin API', () => {
  before(async () => {
    runtime = await startAgentsRuntime({ POSTROOM_OUTBOUND_ALLOW: '127.0.0.1' });
  });
  after(async () => {
    // Whatever was answered, no response ever carried a provider key.
    for (const text of responses) assert.doesNotMatch(text, /"api_key"\s*:|sk-secret/);
    await stopRuntime(runtime);
  });

  test('lists the account agents and reads one', async () => {
    const listed = await json<{ object: string; data: Json[] }>(
      await runtime.request('/v1/agents'),
      200,
    );
    assert.equal(listed.object, 'list');
    assert.deepEqual(
      listed.data.map((a) => a.key),
      ['drafter', 'helper', 'refunds'],
    );
    const drafter = await json(await runtime.request(`/v1/agents/${DRAFTER}`), 200);
    assert.equal(drafter.id, DRAFTER);
    assert.equal(drafter.object, 'agent');
    assert.equal(drafter.handle, 'drafter');
    assert.deepEqual(drafter.provider, { type: 'template', template: 'Hello' });
    assert.equal(drafter.source, 'bootstrap');
    assert.equal(drafter.instructions_version, version(''));
    for (const field of [
      'trigger_policy',
      'trigger_keywords',
      'status',
      'created_at',
      'updated_at',
    ]) {
      assert.ok(field in drafter, field);
    }
    const globex = await json<{ data: Json[] }>(
      await runtime.request('/v1/agents', { headers: { authorization: `Bearer ${GLOBEX_KEY}` } }),
      200,
    );
    assert.deepEqual(globex.data, []);
    const foreign = await runtime.request(`/v1/agents/${DRAFTER}`, {
      headers: { authorization: `Bearer ${GLOBEX_KEY}` },
    });
    assert.equal(foreign.status, 404);
    const reader = await runtime.request('/v1/agents', {
      headers: { authorization: `Bearer ${READER_KEY}` },
    });
    assert.equal(reader.status, 403);
  });

  test('creates an agent and its actor; it can join a conversation and be mentioned', async () => {
    const agent = await json(await post(runtime, '/v1/agents', openaiAgent), 201);
    assert.equal(agent.id, agentIdFor(ACME, 'triage'));
    assert.equal(agent.source, 'api');
    assert.equal(agent.status, 'active');
    assert.equal(agent.instructions_version, version('Sort incoming cases.'));
    assert.deepEqual(agent.trigger_keywords, ['urgent']);
    assert.deepEqual(agent.provider, {
      type: 'openai',
      base_url: 'http://127.0.0.1:4010/v1',
      model: 'gpt-4o-mini',
      temperature: 0.2,
      max_output_tokens: null,
      credential: null,
      api_key_set: true,
    });
    const actor = await runtime.context.store.actors.get(ACME, agent.id);
    assert.equal(actor?.type, 'agent');
    assert.equal(actor?.name, 'Triage');

    const conversation = await createCase(runtime.context.store, {
      participants: [agentParticipant(agent.id, null)],
    });
    const note = await json(
      await post(runtime, `/v1/messaging/conversations/${conversation._id}/messages`, {
        body: 'This one is URGENT.',
        visibility: 'internal',
        channel: 'message',
      }),
      201,
    );
    assert.ok(await runtime.context.store.agentRuns.findByTrigger(note.id, agent.id));
  });

  test('duplicate key or handle (any case) is a 409', async () => {
    await json(
      await post(runtime, '/v1/agents', { ...openaiAgent, key: 'dup', handle: 'dup-handle' }),
      201,
    );
    const sameKey = await post(runtime, '/v1/agents', {
      ...openaiAgent,
      key: 'dup',
      handle: 'other',
    });
    assert.equal(sameKey.status, 409);
    assert.equal((await errorOf(sameKey)).code, 'agent_key_taken');
    const bootstrapKey = await post(runtime, '/v1/agents', {
      ...openaiAgent,
      key: 'drafter',
      handle: 'd2',
    });
    assert.equal((await errorOf(bootstrapKey)).code, 'agent_key_taken');
    const sameHandle = await post(runtime, '/v1/agents', {
      ...openaiAgent,
      key: 'dup2',
      handle: 'DUP-Handle',
    });
    assert.equal(sameHandle.status, 409);
    assert.equal((await errorOf(sameHandle)).code, 'agent_handle_taken');
    const racing = await Promise.all(
      ['r1', 'r2', 'r3'].map((key) =>
        post(runtime, '/v1/agents', { ...openaiAgent, key, handle: 'racer' }),
      ),
    );
    assert.deepEqual(racing.map((r) => r.status).sort(), [201, 409, 409]);
  });

  test('validation names the field', async () => {
    const template = { type: 'template', template: 'Hi' };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: 'X', handle: 'x', provider: template }, /^body\.key: /],
      [{ key: 'bad key', name: 'X', handle: 'x', provider: template }, /^body\.key: /],
      [{ key: 'x1', name: 'X', handle: '@x', provider: template }, /^body\.handle: /],
      [{ key: 'x1', name: '', handle: 'x', provider: template }, /^body\.name: /],
      [{ key: 'x1', name: 'X', handle: 'x', provider: { type: 'claude' } }, /^body\.provider/],
      [
        { key: 'x1', name: 'X', handle: 'x', provider: { type: 'openai' } },
        /^body\.provider\.model: /,
      ],
      [
        {
          key: 'x1',
          name: 'X',
          handle: 'x',
          provider: { type: 'openai', model: 'm', base_url: 'ftp://x' },
        },
        /^body\.provider\.base_url: /,
      ],
      [
        {
          key: 'x1',
          name: 'X',
          handle: 'x',
          provider: { type: 'openai', model: 'm', api_key: ' ' },
        },
        /^body\.provider\.api_key: must not be empty/,
      ],
      [
        { key: 'x1', name: 'X', handle: 'x', provider: template, trigger_policy: 'sometimes' },
        /^body\.trigger_policy: /,
      ],
    ];
    for (const [body, pattern] of cases) {
      const response = await post(runtime, '/v1/agents', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match((await errorOf(response)).message, pattern);
    }
    const noKeywords = await post(runtime, '/v1/agents', {
      key: 'x1',
      name: 'X',
      handle: 'x',
      provider: template,
      trigger_policy: 'keyword',
    });
    assert.equal(noKeywords.status, 422);
    assert.equal((await errorOf(noKeywords)).code, 'keywords_required');
  });

  test('PATCH updates fields, bumps instructions_version and renames the actor', async () => {
    const created = await json(
      await post(runtime, '/v1/agents', { ...openaiAgent, key: 'editable', handle: 'editable' }),
      201,
    );
    const path = `/v1/agents/${created.id}`;
    const updated = await json(
      await patch(runtime, path, {
        name: 'Edited',
        instructions: 'New instructions.',
        provider: { type: 'template', template: 'Canned' },
        trigger_policy: 'mention',
      }),
      200,
    );
    assert.equal(updated.name, 'Edited');
    assert.equal(updated.instructions_version, version('New instructions.'));
    assert.deepEqual(updated.provider, { type: 'template', template: 'Canned' });
    assert.equal(updated.trigger_policy, 'mention');
    assert.equal(updated.handle, 'editable');
    assert.equal((await runtime.context.store.actors.get(ACME, created.id))?.name, 'Edited');

    const disabled = await json(await patch(runtime, path, { status: 'disabled' }), 200);
    assert.equal(disabled.status, 'disabled');
    assert.equal(disabled.name, 'Edited');

    const taken = await patch(runtime, path, { handle: 'DRAFTER' });
    assert.equal(taken.status, 409);
    assert.equal((await errorOf(taken)).code, 'agent_handle_taken');
    const ownCase = await json(await patch(runtime, path, { handle: 'Editable' }), 200);
    assert.equal(ownCase.handle, 'Editable');

    const keywordless = await patch(runtime, path, {
      trigger_policy: 'keyword',
      trigger_keywords: [],
    });
    assert.equal(keywordless.status, 422);
    assert.equal((await errorOf(await patch(runtime, path, {}))).code, 'invalid_parameter');
    assert.equal((await patch(runtime, '/v1/agents/agt_acme_nope', { name: 'X' })).status, 404);
  });

  test('bootstrap agents: only status can change here (the file owns the rest)', async () => {
    const renamed = await patch(runtime, `/v1/agents/${DRAFTER}`, { name: 'Renamed' });
    assert.equal(renamed.status, 409);
    assert.equal((await errorOf(renamed)).code, 'managed_by_bootstrap');
    const disabled = await json(
      await patch(runtime, `/v1/agents/${DRAFTER}`, { status: 'disabled' }),
      200,
    );
    assert.equal(disabled.status, 'disabled');
    await json(await patch(runtime, `/v1/agents/${DRAFTER}`, { status: 'active' }), 200);
  });
});
