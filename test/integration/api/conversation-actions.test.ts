// PATCH /conversations/{id}, .../actions/set-status and .../actions/set-legal-hold:
// success answers the updated conversation; each failure has its status and code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ActorRecord, ConversationRecord } from '../../../src/store/index.ts';
import { ACME, GLOBEX, createActor, createCase, openApi, type ApiHarness } from './helpers.ts';

let api: ApiHarness;
let user: ActorRecord;
let team: ActorRecord;
let foreignUser: ActorRecord;
let foreign: ConversationRecord;

type Key = 'admin' | 'reader' | 'writer' | 'deleter' | 'other';

async function patch(id: string, payload: unknown, key: Key = 'writer', query = '') {
  return api.call(key, {
    method: 'PATCH',
    url: `/v1/messaging/conversations/${id}${query}`,
    payload: payload as Record<string, unknown>,
  });
}

async function action(id: string, name: string, payload: unknown, key: Key = 'writer', query = '') {
  return api.call(key, {
    method: 'POST',
    url: `/v1/messaging/conversations/${id}/actions/${name}${query}`,
    payload: payload as Record<string, unknown>,
  });
}

describe('conversation updates and actions', () => {
  before(async () => {
    api = await openApi('api-conv-actions');
    user = await createActor(api.store, ACME, 'user', 'Dana');
    team = await createActor(api.store, ACME, 'group', 'Billing team');
    foreignUser = await createActor(api.store, GLOBEX, 'user', 'Eve');
    foreign = await createCase(api.store, { account_id: GLOBEX });
  });
  after(() => api.close());

  describe('PATCH', () => {
    test('sets title, priority, assignee and is_spam, bumping updated_at', async () => {
      const before = await createCase(api.store);
      const res = await patch(
        before._id,
        { title: 'Refund for order 42', priority: 'urgent', assignee_id: user._id, is_spam: true },
        'writer',
        '?include[]=assignee',
      );
      assert.equal(res.statusCode, 200, res.body);
      const json = res.json();
      assert.equal(json.title, 'Refund for order 42');
      assert.equal(json.priority, 'urgent');
      assert.equal(json.assignee_id, user._id);
      assert.equal(json.assignee.name, 'Dana');
      assert.equal(json.is_spam, true);
      assert.ok(new Date(json.updated_at) >= before.updated_at);
      const stored = await api.store.conversations.get(ACME, before._id);
      assert.equal(stored?.priority, 'urgent');
    });

    test('subject is an alias of title; a group can be assigned; null unassigns', async () => {
      const conv = await createCase(api.store);
      const renamed = await patch(conv._id, { subject: 'Billing question', assignee_id: team._id });
      assert.equal(renamed.json().title, 'Billing question');
      assert.equal(renamed.json().assignee_id, team._id);
      assert.equal(renamed.json().assignee, null, 'not expanded unless included');
      const cleared = await patch(conv._id, { assignee_id: null, title: null });
      assert.equal(cleared.statusCode, 200);
      assert.equal(cleared.json().assignee_id, null);
      assert.equal(cleared.json().title, null);
    });

    test('bad input is a 400 naming the problem', async () => {
      const conv = await createCase(api.store);
      const cases: Array<[unknown, RegExp]> = [
        [{}, /at least one of/],
        [{ priority: 'asap' }, /body\.priority/],
        [{ title: 'a'.repeat(501) }, /body\.title.*500/],
        [{ title: 'one\r\nBcc: x' }, /line breaks/],
        [{ title: '   ' }, /empty/],
        [{ is_spam: 'yes' }, /body\.is_spam/],
        [{ status: 'done' }, /body\.status/],
        [{ title: 'a', subject: 'b' }, /same field/],
        [[1, 2], /body/],
      ];
      for (const [payload, message] of cases) {
        const res = await patch(conv._id, payload);
        assert.equal(res.statusCode, 400, JSON.stringify(payload));
        assert.match(res.json().error.message, message, JSON.stringify(payload));
      }
      const noBody = await api.call('writer', {
        method: 'PATCH',
        url: `/v1/messaging/conversations/${conv._id}`,
      });
      assert.equal(noBody.statusCode, 400);
      const badJson = await api.call('writer', {
        method: 'PATCH',
        url: `/v1/messaging/conversations/${conv._id}`,
        headers: { 'content-type': 'application/json' },
        payload: '{"title": ',
      });
      assert.equal(badJson.statusCode, 400);
      assert.equal(badJson.json().error.code, 'invalid_json');
    });

    test('an assignee that is not a user or group of the account is a 422', async () => {
      const conv = await createCase(api.store);
      const keyActor = (await api.store.apiKeys.list(ACME))[0]?.actor_id ?? '';
      for (const id of ['act_nope', foreignUser._id, keyActor]) {
        const res = await patch(conv._id, { assignee_id: id });
        assert.equal(res.statusCode, 422, id);
        assert.equal(res.json().error.code, 'invalid_assignee');
      }
    });

    test('403 without messaging:write; 404 for another account’s conversation', async () => {
      const conv = await createCase(api.store);
      const forbidden = await patch(conv._id, { priority: 'high' }, 'reader');
      assert.equal(forbidden.statusCode, 403);
      const hidden = await patch(foreign._id, { priority: 'high' });
      assert.equal(hidden.statusCode, 404);
      const stored = await api.store.conversations.get(GLOBEX, foreign._id);
      assert.equal(stored?.priority, 'normal', 'unchanged');
    });
  });

  describe('set-status', () => {
    test('moves the case; resolved sets closed_at, reopening clears it', async () => {
      const conv = await createCase(api.store);
      const resolved = await action(conv._id, 'set-status', { workflow_status: 'resolved' });
      assert.equal(resolved.statusCode, 200, resolved.body);
      assert.equal(resolved.json().workflow_status, 'resolved');
      assert.ok(resolved.json().closed_at);
      const again = await action(conv._id, 'set-status', { workflow_status: 'resolved' });
      assert.equal(again.json().closed_at, resolved.json().closed_at, 'first close time kept');
      const reopened = await action(conv._id, 'set-status', { workflow_status: 'open' });
      assert.equal(reopened.json().workflow_status, 'open');
      assert.equal(reopened.json().closed_at, null);
    });

    test('honours include[]', async () => {
      const conv = await createCase(api.store, { assignee_id: user._id });
      const res = await action(
        conv._id,
        'set-status',
        { workflow_status: 'waiting_external' },
        'writer',
        '?include=assignee',
      );
      assert.equal(res.json().assignee.id, user._id);
    });

    test('a bad status is a 400; an internal conversation is a 422; 403 and 404', async () => {
      const conv = await createCase(api.store);
      const bad = await action(conv._id, 'set-status', { workflow_status: 'closed' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().error.message, /workflow_status/);
      const missing = await action(conv._id, 'set-status', {});
      assert.equal(missing.statusCode, 400);
      const chat = await api.store.conversations.create({
        account_id: ACME,
        type: 'group',
        audience: 'internal',
      });
      const notCase = await action(chat._id, 'set-status', { workflow_status: 'open' });
      assert.equal(notCase.statusCode, 422);
      assert.equal(notCase.json().error.code, 'not_a_case');
      const forbidden = await action(conv._id, 'set-status', { workflow_status: 'open' }, 'reader');
      assert.equal(forbidden.statusCode, 403);
      const hidden = await action(foreign._id, 'set-status', { workflow_status: 'open' });
      assert.equal(hidden.statusCode, 404);
    });
  });

  describe('set-legal-hold', () => {
    test('admin holds and releases', async () => {
      const conv = await createCase(api.store);
      const held = await action(conv._id, 'set-legal-hold', { legal_hold: 'held' }, 'admin');
      assert.equal(held.statusCode, 200, held.body);
      assert.equal(held.json().legal_hold, 'held');
      const released = await action(
        conv._id,
        'set-legal-hold',
        { legal_hold: 'released' },
        'admin',
      );
      assert.equal(released.json().legal_hold, 'released');
    });

    test('needs admin (403); a bad value is a 400; another account is a 404', async () => {
      const conv = await createCase(api.store);
      const forbidden = await action(conv._id, 'set-legal-hold', { legal_hold: 'held' }, 'writer');
      assert.equal(forbidden.statusCode, 403);
      assert.match(forbidden.json().error.message, /admin/);
      const bad = await action(conv._id, 'set-legal-hold', { legal_hold: 'yes' }, 'admin');
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().error.message, /legal_hold/);
      const hidden = await action(foreign._id, 'set-legal-hold', { legal_hold: 'held' }, 'admin');
      assert.equal(hidden.statusCode, 404);
      const own = await action(foreign._id, 'set-legal-hold', { legal_hold: 'held' }, 'other');
      assert.equal(own.statusCode, 200);
    });
  });
});
