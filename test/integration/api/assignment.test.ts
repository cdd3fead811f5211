// PATCH and PUT /conversations/{id} with seed D's body: assignee_id plus
// assignee_type (a user, a group, or the mailbox's active email agent), the
// assignee joining as a participant (seed C), open/closed over the workflow
// lanes, subject in the answer, each change in the audit trail; another
// account's ids are refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { internalsOf } from '../../../src/store/connect.ts';
import { agentIdFor, type ActorRecord, type ConversationRecord } from '../../../src/store/index.ts';
import { ACME, GLOBEX, createActor, createCase, openApi, type ApiHarness } from './helpers.ts';

let api: ApiHarness;
let user: ActorRecord;
let team: ActorRecord;
let foreignUser: ActorRecord;
let foreign: ConversationRecord;

const DRAFTER = agentIdFor(ACME, 'drafter');
const HELPER = agentIdFor(ACME, 'helper');
const RETIRED = agentIdFor(ACME, 'retired');

const template = (text: string) => ({ type: 'template', template: text });
const ACME_EXTRAS = {
  agents: [
    { id: 'drafter', name: 'Drafter', handle: 'drafter', provider: template('Hello') },
    { id: 'helper', name: 'Helper', handle: 'helper', provider: template('Hi') },
    { id: 'retired', name: 'Retired', handle: 'retired', provider: template('Bye') },
  ],
  mailboxes: [
    {
      id: 'support',
      address: 'support@acme.test',
      drop_folder: '/nonexistent/drop',
      outbox_folder: '/nonexistent/outbox',
      agents: ['drafter', 'retired'],
    },
  ],
};

type Json = Record<string, unknown>;
interface Participant {
  type: string;
  actor_id: string | null;
  role: string;
  membership: string;
  agent_trigger_policy: string | null;
}

async function send(method: 'PATCH' | 'PUT', id: string, payload: unknown, query = '') {
  return api.call('writer', {
    method,
    url: `/v1/messaging/conversations/${id}${query}`,
    payload: payload as Json,
  });
}

async function ok(method: 'PATCH' | 'PUT', id: string, payload: unknown, query = '') {
  const res = await send(method, id, payload, query);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<Json>();
}

function participantsOf(json: Json): Participant[] {
  return (json.participants as { data: Participant[] }).data;
}

async function auditOf(id: string): Promise<Array<{ kind: string; changes: Json[] }>> {
  const res = await api.call('reader', {
    method: 'GET',
    url: `/v1/messaging/conversations/${id}/audit?limit=100`,
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ data: Array<{ kind: string; changes: Json[] }> }>().data;
}

describe('assignment and seed D updates', () => {
  before(async () => {
    api = await openApi('api-assignment', [], ACME_EXTRAS);
    user = await createActor(api.store, ACME, 'user', 'Dana');
    team = await createActor(api.store, ACME, 'group', 'Billing team');
    foreignUser = await createActor(api.store, GLOBEX, 'user', 'Eve');
    foreign = await createCase(api.store, { account_id: GLOBEX });
    // A mailbox agent that is switched off cannot own a case (written straight
    // to the model: the agents admin API is not part of this harness).
    const { Agent } = internalsOf(api.store).models;
    await Agent.updateOne({ _id: RETIRED, account_id: ACME }, { $set: { status: 'disabled' } });
  });
  after(() => api.close());

  test("PUT takes seed D's body and answers subject and assignee_type", async () => {
    const conv = await createCase(api.store);
    const json = await ok(
      'PUT',
      conv._id,
      {
        subject: 'Refund for order 42',
        status: 'open',
        priority: 'low',
        assignee_id: user._id,
        assignee_type: 'user',
      },
      '?include[]=participants&include[]=assignee',
    );
    assert.equal(json.subject, 'Refund for order 42');
    assert.equal(json.title, 'Refund for order 42');
    assert.equal(json.priority, 'low');
    assert.equal(json.assignee_id, user._id);
    assert.equal(json.assignee_type, 'user');
    assert.equal((json.assignee as Json).type, 'user');
    // open on a case that is not resolved leaves its lane.
    assert.equal(json.workflow_status, 'new');
    const joined = participantsOf(json).filter((p) => p.actor_id === user._id);
    assert.equal(joined.length, 1, 'the assignee became a participant');
    assert.deepEqual(
      { type: joined[0]?.type, role: joined[0]?.role, membership: joined[0]?.membership },
      { type: 'user', role: 'member', membership: 'active' },
    );
    // Assigning again neither duplicates the participant nor fails.
    const again = await ok('PATCH', conv._id, { assignee_id: user._id }, '?include[]=participants');
    assert.equal(participantsOf(again).filter((p) => p.actor_id === user._id).length, 1);
    assert.equal(again.assignee_type, 'user', 'the type is derived when not sent');
  });

  test("the mailbox's active email agent can be assigned; it joins with its trigger policy", async () => {
    const conv = await createCase(api.store);
    const json = await ok(
      'PATCH',
      conv._id,
      { assignee_id: DRAFTER, assignee_type: 'agent' },
      '?include[]=participants',
    );
    assert.equal(json.assignee_id, DRAFTER);
    assert.equal(json.assignee_type, 'agent');
    const agent = participantsOf(json).find((p) => p.actor_id === DRAFTER);
    assert.equal(agent?.type, 'agent');
    assert.equal(agent?.agent_trigger_policy, 'always');
  });

  test('other agents are refused with a 422 that names the problem', async () => {
    const conv = await createCase(api.store);
    const cases: Array<[Json, RegExp]> = [
      [{ assignee_id: HELPER, assignee_type: 'agent' }, /not an email agent of mailbox "support"/],
      [{ assignee_id: RETIRED }, /not active/],
      [{ assignee_id: user._id, assignee_type: 'agent' }, /is a user, not an agent/],
      [{ assignee_id: DRAFTER, assignee_type: 'user' }, /is an agent, not a user/],
    ];
    for (const [payload, message] of cases) {
      const res = await send('PATCH', conv._id, payload);
      assert.equal(res.statusCode, 422, JSON.stringify(payload));
      assert.equal(res.json().error.code, 'invalid_assignee');
      assert.match(res.json().error.message, message, JSON.stringify(payload));
    }
    // A conversation without a mailbox: only an agent already in it.
    const chat = await api.store.conversations.create({
      account_id: ACME,
      type: 'group',
      audience: 'internal',
    });
    const res = await send('PATCH', chat._id, { assignee_id: DRAFTER, assignee_type: 'agent' });
    assert.equal(res.statusCode, 422);
    assert.match(res.json().error.message, /not an agent of conversation/);
    const stored = await api.store.conversations.get(ACME, conv._id);
    assert.equal(stored?.assignee_id, null, 'nothing was written');
  });

  test('a group (a team) owns the case without joining it; null unassigns', async () => {
    const conv = await createCase(api.store);
    const json = await ok(
      'PATCH',
      conv._id,
      { assignee_id: team._id, assignee_type: 'group' },
      '?include[]=participants',
    );
    assert.equal(json.assignee_type, 'group');
    assert.equal(
      participantsOf(json).some((p) => p.actor_id === team._id),
      false,
    );
    const cleared = await ok('PUT', conv._id, { assignee_id: null });
    assert.equal(cleared.assignee_id, null);
    assert.equal(cleared.assignee_type, null);
  });

  test('status closed resolves the case, open reopens it', async () => {
    const conv = await createCase(api.store);
    const closed = await ok('PUT', conv._id, { status: 'closed' });
    assert.equal(closed.workflow_status, 'resolved');
    assert.ok(closed.closed_at);
    const reopened = await ok('PUT', conv._id, { status: 'open' });
    assert.equal(reopened.workflow_status, 'open');
    assert.equal(reopened.closed_at, null);
    const unchanged = await ok('PATCH', conv._id, { status: null, priority: 'high' });
    assert.equal(unchanged.workflow_status, 'open');
  });

  test('status on a conversation that is not a case is a 422, and nothing is written', async () => {
    const chat = await api.store.conversations.create({
      account_id: ACME,
      type: 'group',
      audience: 'internal',
      title: 'Team chat',
    });
    const res = await send('PUT', chat._id, { status: 'closed', subject: 'Renamed' });
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.json().error.code, 'not_a_case');
    assert.equal((await api.store.conversations.get(ACME, chat._id))?.title, 'Team chat');
  });

  test('bad input is a 400 naming the field', async () => {
    const conv = await createCase(api.store);
    const cases: Array<[unknown, RegExp]> = [
      [{ status: 'pending' }, /body\.status/],
      [{ assignee_type: 'robot', assignee_id: user._id }, /body\.assignee_type/],
      [{ assignee_type: 'user', priority: 'high' }, /assignee_type.*with an assignee_id/],
    ];
    for (const [payload, message] of cases) {
      const res = await send('PUT', conv._id, payload);
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.match(res.json().error.message, message, JSON.stringify(payload));
    }
  });

  test("another account's user, agent and conversation are refused", async () => {
    const conv = await createCase(api.store);
    for (const id of [foreignUser._id, agentIdFor(GLOBEX, 'drafter')]) {
      const res = await send('PUT', conv._id, { assignee_id: id });
      assert.equal(res.statusCode, 422, id);
      assert.equal(res.json().error.code, 'invalid_assignee');
    }
    const hidden = await send('PUT', foreign._id, { assignee_id: foreignUser._id });
    assert.equal(hidden.statusCode, 404);
    const stored = await api.store.conversations.get(GLOBEX, foreign._id);
    assert.equal(stored?.assignee_id, null, 'unchanged');
    const forbidden = await api.call('reader', {
      method: 'PUT',
      url: `/v1/messaging/conversations/${conv._id}`,
      payload: { status: 'closed' },
    });
    assert.equal(forbidden.statusCode, 403);
  });

  test('each change is in the audit trail', async () => {
    const conv = await createCase(api.store);
    await ok('PUT', conv._id, { assignee_id: user._id, assignee_type: 'user', status: 'closed' });
    const entries = await auditOf(conv._id);
    assert.deepEqual(
      entries.map((e) => e.kind),
      ['conversation_updated', 'participant_added', 'workflow_status_changed'],
    );
    assert.deepEqual(entries[0]?.changes, [
      { field: 'assignee_id', before: null, after: user._id },
      { field: 'assignee_type', before: null, after: 'user' },
    ]);
    assert.deepEqual(entries[2]?.changes, [
      { field: 'workflow_status', before: 'new', after: 'resolved' },
    ]);
  });
});
