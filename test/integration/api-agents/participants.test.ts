// POST/DELETE /v1/messaging/conversations/{id}/participants through the real
// runtime: adding users and agents, conflicts, reactivation, removal, and
// that the policy given here decides what wakes the agent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ActorRecord, ConversationRecord } from '../../../src/store/index.ts';
import { TEST_API_KEY, type TestRuntime } from '../../support/runtime.ts';
import {
  ACME,
  DRAFTER,
  GLOBEX,
  HELPER,
  READER_KEY,
  createActor,
  createCase,
  errorOf,
  post,
  startAgentsRuntime,
  stopRuntime,
  type Json,
} from './helpers.ts';

let runtime: TestRuntime;
let robin: ActorRecord;

interface ParticipantJson {
  id: string;
  type: string;
  role: string;
  membership: string;
  actor_id: string;
  agent_trigger_policy: string | null;
  agent_trigger_keywords: string[];
  actor: { id: string; type: string } | null;
}
type ConversationJson = Json & { participants: { data: ParticipantJson[] } };

const participantsOf = (id: string) => `/v1/messaging/conversations/${id}/participants`;

async function add(conversation: ConversationRecord, body: Record<string, unknown>) {
  return post(runtime, participantsOf(conversation._id), body);
}

async function added(
  conversation: ConversationRecord,
  body: Record<string, unknown>,
  status = 201,
): Promise<ConversationJson> {
  const response = await add(conversation, body);
  assert.equal(response.status, status, await response.clone().text());
  return (await response.json()) as ConversationJson;
}

// The test client always sends Content-Type: application/json, and the app
// refuses an empty JSON body: the DELETEs carry `{}`.
function remove(conversation: ConversationRecord, participantId: string) {
  return runtime.request(`${participantsOf(conversation._id)}/${participantId}`, {
    method: 'DELETE',
    body: '{}',
  });
}

const agentIn = (json: ConversationJson, agentId: string) =>
  json.participants.data.find((p) => p.type === 'agent' && p.actor_id === agentId);

describe('conversation participants', () => {
  before(async () => {
    runtime = await startAgentsRuntime();
    robin = await createActor(runtime.context.store, ACME, 'user', 'Robin');
  });
  after(() => stopRuntime(runtime));

  test('adds a user with a role; the answer is the conversation with its participants', async () => {
    const conversation = await createCase(runtime.context.store);
    const json = await added(conversation, { type: 'user', actor_id: robin._id, role: 'admin' });
    assert.equal(json.object, 'conversation');
    assert.equal(json.id, conversation._id);
    const [participant] = json.participants.data;
    assert.equal(participant?.type, 'user');
    assert.equal(participant?.role, 'admin');
    assert.equal(participant?.membership, 'active');
    assert.equal(participant?.actor?.id, robin._id);
    assert.equal(participant?.agent_trigger_policy, null);

    const again = await add(conversation, { type: 'user', actor_id: robin._id });
    assert.equal(again.status, 409);
    assert.equal((await errorOf(again)).code, 'already_participant');
  });

  test('adds an agent with the agent policy by default, or the one given', async () => {
    const conversation = await createCase(runtime.context.store);
    const byDefault = await added(conversation, { type: 'agent', agent_id: HELPER });
    const helper = agentIn(byDefault, HELPER);
    assert.equal(helper?.agent_trigger_policy, 'mention');
    assert.equal(helper?.role, 'member');
    assert.equal(helper?.actor?.type, 'agent');

    const withKeywords = await added(conversation, {
      type: 'agent',
      agent_id: DRAFTER,
      agent_trigger_policy: 'keyword',
      agent_trigger_keywords: [' invoice ', 'Invoice', 'refund'],
    });
    const drafter = agentIn(withKeywords, DRAFTER);
    assert.equal(drafter?.agent_trigger_policy, 'keyword');
    assert.deepEqual(drafter?.agent_trigger_keywords, ['invoice', 'refund']);

    const conflict = await add(conversation, { type: 'agent', agent_id: DRAFTER });
    assert.equal(conflict.status, 409);
    assert.equal((await errorOf(conflict)).code, 'already_participant');

    // The participant's policy decides: a note without the keyword wakes nobody.
    const { agentRuns } = runtime.context.store;
    const note = async (body: string) => {
      const response = await post(
        runtime,
        `/v1/messaging/conversations/${conversation._id}/messages`,
        {
          body,
          visibility: 'internal',
          channel: 'message',
        },
      );
      return ((await response.json()) as Json).id;
    };
    const quiet = await note('Nothing to see');
    assert.equal(await agentRuns.findByTrigger(quiet, DRAFTER), null);
    const loud = await note('Please resend the invoice.');
    assert.ok(await agentRuns.findByTrigger(loud, DRAFTER));
  });

  test('keyword policy without any keyword is a 422', async () => {
    const conversation = await createCase(runtime.context.store);
    const response = await add(conversation, {
      type: 'agent',
      agent_id: DRAFTER,
      agent_trigger_policy: 'keyword',
    });
    assert.equal(response.status, 422);
    const error = await errorOf(response);
    assert.equal(error.code, 'keywords_required');
    assert.match(error.message, /^body\.agent_trigger_keywords: /);
  });

  test('remove, then re-add: the same participant comes back active with the new policy', async () => {
    const conversation = await createCase(runtime.context.store);
    const first = await added(conversation, { type: 'agent', agent_id: DRAFTER });
    const participantId = agentIn(first, DRAFTER)?.id ?? '';

    const removed = await remove(conversation, participantId);
    assert.equal(removed.status, 200, await removed.clone().text());
    const afterRemove = (await removed.json()) as ConversationJson;
    assert.equal(agentIn(afterRemove, DRAFTER), undefined, 'removed members are not listed');
    const stored = await runtime.context.store.conversations.get(
      conversation.account_id,
      conversation._id,
    );
    assert.equal(stored?.participants.find((p) => p._id === participantId)?.membership, 'removed');
    // Removing again changes nothing and still answers 200 (here without a body at all).
    const again = await fetch(
      `${runtime.api}${participantsOf(conversation._id)}/${participantId}`,
      {
        method: 'DELETE',
        headers: { authorization: `Bearer ${TEST_API_KEY}` },
      },
    );
    assert.equal(again.status, 200);

    const back = await added(
      conversation,
      { type: 'agent', agent_id: DRAFTER, agent_trigger_policy: 'mention' },
      200,
    );
    const drafter = agentIn(back, DRAFTER);
    assert.equal(drafter?.id, participantId);
    assert.equal(drafter?.membership, 'active');
    assert.equal(drafter?.agent_trigger_policy, 'mention');
    const count = (
      await runtime.context.store.conversations.get(conversation.account_id, conversation._id)
    )?.participants.length;
    assert.equal(count, 1, 'no second entry for the same agent');
  });

  test('concurrent adds of one agent: one 201, the others 409', async () => {
    const conversation = await createCase(runtime.context.store);
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => add(conversation, { type: 'agent', agent_id: HELPER })),
    );
    assert.deepEqual(answers.map((r) => r.status).sort(), [201, 409, 409, 409]);
  });

  test('customers cannot be removed; unknown ids are 404', async () => {
    const conversation = await createCase(runtime.context.store, {
      participants: [{ type: 'customer', customer: { name: 'Jane', address: 'jane@example.com' } }],
    });
    const customerId = conversation.participants[0]?._id ?? '';
    const customer = await remove(conversation, customerId);
    assert.equal(customer.status, 422);
    assert.equal((await errorOf(customer)).code, 'not_removable');
    assert.equal((await remove(conversation, 'par_nope')).status, 404);
    const missing = await runtime.request(`${participantsOf('cnv_nope')}/${customerId}`, {
      method: 'DELETE',
      body: '{}',
    });
    assert.equal(missing.status, 404);
  });

  test('validation: 400 for shape, 422 for unknown actors and agents, 404 and 403', async () => {
    const store = runtime.context.store;
    const conversation = await createCase(store);
    const shape: Array<[Record<string, unknown>, RegExp]> = [
      [{ type: 'user' }, /^body\.actor_id: required/],
      [{ type: 'agent' }, /^body\.agent_id: required/],
      [{ type: 'customer', actor_id: robin._id }, /^body\.type: /],
      [
        { type: 'user', actor_id: robin._id, agent_trigger_policy: 'always' },
        /^body\.agent_trigger_policy: not for a user/,
      ],
      [{ type: 'agent', agent_id: DRAFTER, role: 'boss' }, /^body\.role: /],
      [
        { type: 'agent', agent_id: DRAFTER, agent_trigger_keywords: [''] },
        /^body\.agent_trigger_keywords\.0: /,
      ],
    ];
    for (const [body, pattern] of shape) {
      const response = await add(conversation, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match((await errorOf(response)).message, pattern);
    }
    const apiKeyActor = (await store.apiKeys.findByToken(READER_KEY))?.actor_id;
    const semantic: Array<[Record<string, unknown>, string]> = [
      [{ type: 'user', actor_id: 'act_nope' }, 'invalid_actor'],
      [{ type: 'user', actor_id: apiKeyActor }, 'invalid_actor'],
      [
        { type: 'user', actor_id: (await createActor(store, GLOBEX, 'user', 'Gus'))._id },
        'invalid_actor',
      ],
      [{ type: 'agent', agent_id: 'agt_acme_nope' }, 'invalid_agent'],
    ];
    for (const [body, code] of semantic) {
      const response = await add(conversation, body);
      assert.equal(response.status, 422, JSON.stringify(body));
      assert.equal((await errorOf(response)).code, code);
    }
    const foreign = await createCase(store, { account_id: GLOBEX });
    assert.equal((await add(foreign, { type: 'user', actor_id: robin._id })).status, 404);
    const reader = await post(
      runtime,
      participantsOf(conversation._id),
      { type: 'user', actor_id: robin._id },
      READER_KEY,
    );
    assert.equal(reader.status, 403);
  });

  test('a disabled agent cannot be added', async () => {
    const conversation = await createCase(runtime.context.store);
    const disable = await runtime.request(`/v1/agents/${HELPER}`, {
      method: 'PATCH',
      body: JSON.stringify({ status: 'disabled' }),
    });
    assert.equal(disable.status, 200, await disable.clone().text());
    try {
      const response = await add(conversation, { type: 'agent', agent_id: HELPER });
      assert.equal(response.status, 422);
      assert.equal((await errorOf(response)).code, 'agent_disabled');
    } finally {
      await runtime.request(`/v1/agents/${HELPER}`, {
        method: 'PATCH',
        body: JSON.stringify({ status: 'active' }),
      });
    }
  });
});
