// Participants: the paginated list, PATCH of role, notifications, trigger
// policy and keywords, and the caller's own leave, hide (their `status:
// hidden`) and mute, through the real runtime.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationRecord } from '../../../src/store/index.ts';
import { SEED_FIELDS } from '../../unit/store/fixtures.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import {
  ACME,
  HELPER,
  KEYS,
  ROBIN,
  SAM,
  call,
  errorOf,
  startUsersRuntime,
  stopRuntime,
  type Json,
} from './helpers.ts';

let runtime: TestRuntime;
type Caller = keyof typeof KEYS;
type ParticipantJson = Json & {
  type: string;
  role: string;
  membership: string;
  notifications: string;
  actor_id: string;
  agent_trigger_policy: string | null;
  agent_trigger_keywords: string[];
};
type ListJson = {
  object: string;
  data: ParticipantJson[];
  page_info: {
    next_page_url: string | null;
    previous_page_url: string | null;
    has_next_page: boolean;
    has_prev_page: boolean;
  };
};

const base = (c: ConversationRecord) => `/v1/messaging/conversations/${c._id}`;

async function ok<T = Json>(response: Response, status = 200): Promise<T> {
  assert.equal(response.status, status, await response.clone().text());
  return (await response.json()) as T;
}

async function roomWithMembers(): Promise<{
  conversation: ConversationRecord;
  members: Record<'robin' | 'sam' | 'helper', string>;
}> {
  const conversation = await runtime.context.store.conversations.create({
    account_id: ACME,
    type: 'group',
    audience: 'internal',
    title: 'Members',
  });
  const add = async (body: Record<string, unknown>) =>
    ok<{ participants: { data: ParticipantJson[] } }>(
      await call(runtime, 'admin', 'POST', `${base(conversation)}/participants`, body),
      201,
    );
  await add({ type: 'user', actor_id: ROBIN });
  await add({ type: 'user', actor_id: SAM });
  const json = await add({ type: 'agent', agent_id: HELPER });
  const idOf = (actor: string) =>
    json.participants.data.find((p) => p.actor_id === actor)?.id ?? '';
  return {
    conversation,
    members: { robin: idOf(ROBIN), sam: idOf(SAM), helper: idOf(HELPER) },
  };
}

async function members(conversation: ConversationRecord, key: Caller = 'admin') {
  return ok<ListJson>(await call(runtime, key, 'GET', `${base(conversation)}/participants`));
}

describe('participants', () => {
  before(async () => {
    runtime = await startUsersRuntime();
  });
  after(() => stopRuntime(runtime));

  test('the list is paginated, in joining order, in the seed shape', async () => {
    const { conversation, members: ids } = await roomWithMembers();
    const first = await ok<ListJson>(
      await call(runtime, 'reader', 'GET', `${base(conversation)}/participants?limit=2`),
    );
    assert.equal(first.object, 'list');
    assert.deepEqual(
      first.data.map((p) => p.id),
      [ids.robin, ids.sam],
    );
    for (const field of SEED_FIELDS.conversation_participant)
      assert.ok(field in (first.data[0] ?? {}), field);
    assert.equal(first.data[0]?.object, 'conversation_participant');
    assert.equal(first.page_info.has_next_page, true);
    assert.equal(first.page_info.has_prev_page, false);
    assert.ok(first.page_info.next_page_url);
    const second = await ok<ListJson>(
      await call(runtime, 'reader', 'GET', first.page_info.next_page_url),
    );
    assert.deepEqual(
      second.data.map((p) => p.id),
      [ids.helper],
    );
    assert.equal(second.page_info.has_next_page, false);
    assert.equal(second.page_info.has_prev_page, true);
    const back = await ok<ListJson>(
      await call(runtime, 'reader', 'GET', second.page_info.previous_page_url ?? ''),
    );
    assert.deepEqual(
      back.data.map((p) => p.id),
      [ids.robin, ids.sam],
    );
    const bad = await call(
      runtime,
      'reader',
      'GET',
      `${base(conversation)}/participants?after=par_nope`,
    );
    assert.equal(bad.status, 400);
    assert.equal((await errorOf(bad)).code, 'invalid_cursor');
  });

  test("PATCH changes role, notifications, and an agent's trigger policy and keywords", async () => {
    const { conversation, members: ids } = await roomWithMembers();
    const json = await ok<{ participants: { data: ParticipantJson[] } }>(
      await call(runtime, 'admin', 'PATCH', `${base(conversation)}/participants/${ids.robin}`, {
        role: 'admin',
        notifications: 'muted',
      }),
    );
    const robin = json.participants.data.find((p) => p.id === ids.robin);
    assert.equal(robin?.role, 'admin');
    assert.equal(robin?.notifications, 'muted');

    const agent = await ok<{ participants: { data: ParticipantJson[] } }>(
      await call(runtime, 'admin', 'PATCH', `${base(conversation)}/participants/${ids.helper}`, {
        agent_trigger_policy: 'keyword',
        agent_trigger_keywords: ['Refund', 'refund', 'invoice'],
      }),
    );
    const helper = agent.participants.data.find((p) => p.id === ids.helper);
    assert.equal(helper?.agent_trigger_policy, 'keyword');
    assert.deepEqual(helper?.agent_trigger_keywords.map((k) => k.toLowerCase()).sort(), [
      'invoice',
      'refund',
    ]);

    const noKeywords = await call(
      runtime,
      'admin',
      'PATCH',
      `${base(conversation)}/participants/${ids.helper}`,
      {
        agent_trigger_keywords: [],
      },
    );
    assert.equal(noKeywords.status, 422);
    assert.equal((await errorOf(noKeywords)).code, 'keywords_required');

    const userPolicy = await call(
      runtime,
      'admin',
      'PATCH',
      `${base(conversation)}/participants/${ids.sam}`,
      {
        agent_trigger_policy: 'always',
      },
    );
    assert.equal(userPolicy.status, 422);
    assert.equal((await errorOf(userPolicy)).code, 'agent_only_setting');
    for (const body of [{ role: 'king' }, { notifications: 'loud' }, { membership: 'left' }]) {
      const response = await call(
        runtime,
        'admin',
        'PATCH',
        `${base(conversation)}/participants/${ids.sam}`,
        body,
      );
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match((await errorOf(response)).message, /^body/);
    }
    assert.equal(
      (
        await call(runtime, 'reader', 'PATCH', `${base(conversation)}/participants/${ids.sam}`, {
          role: 'admin',
        })
      ).status,
      403,
    );
    assert.equal(
      (
        await call(runtime, 'admin', 'PATCH', `${base(conversation)}/participants/par_nope`, {
          role: 'admin',
        })
      ).status,
      404,
    );
  });

  test("hide is the caller's own: their status is hidden, everyone else's is not", async () => {
    const { conversation } = await roomWithMembers();
    const hidden = await ok<Json & { status: string }>(
      await call(runtime, 'robin', 'POST', `${base(conversation)}/actions/hide`, {}),
    );
    assert.equal(hidden.status, 'hidden');
    const asRobin = await ok<Json & { status: string }>(
      await call(runtime, 'robin', 'GET', base(conversation)),
    );
    assert.equal(asRobin.status, 'hidden');
    const asAdmin = await ok<Json & { status: string }>(
      await call(runtime, 'admin', 'GET', base(conversation)),
    );
    assert.equal(asAdmin.status, 'active');
    const robin = (await members(conversation)).data.find((p) => p.actor_id === ROBIN);
    assert.equal(robin?.membership, 'hidden');
    const shown = await ok<Json & { status: string }>(
      await call(runtime, 'robin', 'POST', `${base(conversation)}/actions/hide`, { hidden: false }),
    );
    assert.equal(shown.status, 'active');
  });

  test("mute sets the caller's notifications; unmute clears it", async () => {
    const { conversation } = await roomWithMembers();
    await ok(await call(runtime, 'sam', 'POST', `${base(conversation)}/actions/mute`, {}));
    assert.equal(
      (await members(conversation)).data.find((p) => p.actor_id === SAM)?.notifications,
      'muted',
    );
    await ok(
      await call(runtime, 'sam', 'POST', `${base(conversation)}/actions/mute`, { muted: false }),
    );
    assert.equal(
      (await members(conversation)).data.find((p) => p.actor_id === SAM)?.notifications,
      'unmuted',
    );
    const bad = await call(runtime, 'sam', 'POST', `${base(conversation)}/actions/mute`, {
      muted: 'yes',
    });
    assert.equal(bad.status, 400);
  });

  test('leave takes the caller out; a caller who is no participant is told so', async () => {
    const { conversation } = await roomWithMembers();
    const left = await ok<{ participants: { data: ParticipantJson[] } }>(
      await call(runtime, 'robin', 'POST', `${base(conversation)}/actions/leave`, {}),
    );
    assert.ok(!left.participants.data.some((p) => p.actor_id === ROBIN));
    assert.ok(!(await members(conversation)).data.some((p) => p.actor_id === ROBIN));
    const stored = await runtime.context.store.conversations.get(ACME, conversation._id);
    assert.equal(stored?.participants.find((p) => p.actor_id === ROBIN)?.membership, 'left');

    const again = await call(runtime, 'robin', 'POST', `${base(conversation)}/actions/leave`, {});
    assert.equal(again.status, 422);
    assert.equal((await errorOf(again)).code, 'not_a_participant');
    // The bare admin key is no member of the room.
    const bare = await call(runtime, 'admin', 'POST', `${base(conversation)}/actions/hide`, {});
    assert.equal(bare.status, 422);
  });

  test('another account reaches none of it', async () => {
    const { conversation, members: ids } = await roomWithMembers();
    assert.equal(
      (await call(runtime, 'globex', 'GET', `${base(conversation)}/participants`)).status,
      404,
    );
    assert.equal(
      (
        await call(runtime, 'globex', 'PATCH', `${base(conversation)}/participants/${ids.robin}`, {
          role: 'owner',
        })
      ).status,
      404,
    );
    assert.equal(
      (await call(runtime, 'globex', 'POST', `${base(conversation)}/actions/leave`, {})).status,
      404,
    );
    assert.equal(
      (await members(conversation)).data.find((p) => p.id === ids.robin)?.role,
      'member',
    );
  });
});
