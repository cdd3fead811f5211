// GET /v1/messaging/conversations (filters, cursor pagination, include[]) and
// GET /v1/messaging/conversations/{id}, through inject() over a real store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationRecord } from '../../../src/store/index.ts';
import { ACME, GLOBEX, createActor, createCase, openApi, type ApiHarness } from './helpers.ts';

let api: ApiHarness;
// 45 customer cases: 15 new, 15 open, 15 resolved; every third in mailbox "billing".
const cases: ConversationRecord[] = [];
let internal: ConversationRecord;
let foreign: ConversationRecord;
let assigned: ConversationRecord;
let userId: string;

interface ListBody {
  object: string;
  data: Array<Record<string, unknown> & { id: string }>;
  page_info: {
    next_page_url: string | null;
    previous_page_url: string | null;
    has_next_page: boolean;
    has_prev_page: boolean;
  };
}

async function get(url: string, key: 'admin' | 'reader' | 'other' = 'reader') {
  return api.call(key, { method: 'GET', url });
}

async function walk(url: string): Promise<{ ids: string[]; pages: ListBody[] }> {
  const ids: string[] = [];
  const pages: ListBody[] = [];
  let next: string | null = url;
  while (next) {
    const res = await get(next);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<ListBody>();
    pages.push(body);
    ids.push(...body.data.map((c) => c.id));
    next = body.page_info.next_page_url;
  }
  return { ids, pages };
}

describe('conversation reads', () => {
  before(async () => {
    api = await openApi('api-conv-read');
    const statuses = ['new', 'open', 'resolved'] as const;
    for (let i = 0; i < 45; i++) {
      cases.push(
        await createCase(api.store, {
          workflow_status: statuses[i % 3],
          mailbox_id: i % 3 === 0 ? 'billing' : 'support',
          title: `Case ${i}`,
        }),
      );
    }
    internal = await api.store.conversations.create({
      account_id: ACME,
      type: 'group',
      audience: 'internal',
      title: 'Team chat',
    });
    foreign = await createCase(api.store, { account_id: GLOBEX, title: 'Globex case' });
    const user = await createActor(api.store, ACME, 'user', 'Dana');
    userId = user._id;
    assigned = await createCase(api.store, {
      assignee_id: userId,
      participants: [
        { type: 'user', actor_id: userId, role: 'owner' },
        { type: 'customer', customer: { name: 'Pat', address: 'pat@example.com' } },
      ],
    });
  });
  after(() => api.close());

  test('pagination walks every conversation exactly once, newest first, both ways', async () => {
    const { ids, pages } = await walk('/v1/messaging/conversations?limit=20');
    assert.equal(pages.length, 3);
    assert.deepEqual(
      pages.map((p) => p.data.length),
      [20, 20, 7],
    );
    assert.equal(new Set(ids).size, 47, 'no conversation twice');
    assert.equal(ids[0], assigned._id, 'the most recently updated first');
    assert.equal(ids.at(-1), cases[0]?._id);
    assert.ok(!ids.includes(foreign._id), 'never another account’s');
    assert.equal(pages[0]?.page_info.has_prev_page, false);
    assert.equal(pages[0]?.page_info.previous_page_url, null);
    assert.equal(pages[2]?.page_info.has_next_page, false);
    assert.equal(pages[2]?.page_info.next_page_url, null);
    assert.equal(pages[0]?.object, 'list');

    // Back from the last page with previous_page_url gives the same pages.
    const back = await get(pages[2]?.page_info.previous_page_url ?? '');
    assert.deepEqual(
      back.json<ListBody>().data.map((c) => c.id),
      pages[1]?.data.map((c) => c.id),
    );
  });

  test('the default page is 20; limit outside 1..100 is a 400', async () => {
    const res = await get('/v1/messaging/conversations');
    assert.equal(res.json<ListBody>().data.length, 20);
    for (const bad of ['0', '101', 'ten', '2.5']) {
      const r = await get(`/v1/messaging/conversations?limit=${bad}`);
      assert.equal(r.statusCode, 400, bad);
      assert.match(r.json().error.message, /query\.limit/);
    }
  });

  test('workflow_status filters, comma-separated or repeated, and the links keep the filter', async () => {
    const comma = await walk('/v1/messaging/conversations?workflow_status=new,open&limit=7');
    const repeated = await walk(
      '/v1/messaging/conversations?workflow_status=new&workflow_status=open&limit=7',
    );
    const expected = cases.filter((c) => c.workflow_status !== 'resolved').map((c) => c._id);
    // The assigned case (new) is in the lane too.
    expected.push(assigned._id);
    assert.deepEqual(new Set(comma.ids), new Set(expected));
    assert.equal(comma.ids.length, expected.length);
    assert.deepEqual(repeated.ids, comma.ids);
    assert.match(comma.pages[0]?.page_info.next_page_url ?? '', /workflow_status=new%2Copen/);
    assert.match(comma.pages[0]?.page_info.next_page_url ?? '', /limit=7/);
  });

  test('a bad workflow_status value is a 400 naming it', async () => {
    const res = await get('/v1/messaging/conversations?workflow_status=new,closed');
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /workflow_status.*"closed"/);
  });

  test('audience and mailbox_id filter', async () => {
    const internalOnly = await walk('/v1/messaging/conversations?audience=internal');
    assert.deepEqual(internalOnly.ids, [internal._id]);
    const billing = await walk('/v1/messaging/conversations?mailbox_id=billing&limit=4');
    assert.equal(billing.ids.length, 15);
    assert.ok(billing.pages.length === 4);
    assert.match(billing.pages[1]?.page_info.next_page_url ?? '', /mailbox_id=billing/);
    const both = await walk(
      '/v1/messaging/conversations?mailbox_id=billing&workflow_status=new&audience=customer',
    );
    assert.equal(both.ids.length, 15, 'every billing case is new (i % 3 === 0)');
    const bad = await get('/v1/messaging/conversations?audience=everyone');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /audience/);
  });

  test('bad cursors, both cursors, and unknown parameters are 400s', async () => {
    const garbage = await get('/v1/messaging/conversations?after=not-a-cursor');
    assert.equal(garbage.statusCode, 400);
    assert.equal(garbage.json().error.code, 'invalid_cursor');
    // A messages cursor is not a conversations cursor.
    const messagesCursor = Buffer.from(JSON.stringify({ l: 'messages', s: 0, k: [1] })).toString(
      'base64url',
    );
    const wrongList = await get(`/v1/messaging/conversations?after=${messagesCursor}`);
    assert.equal(wrongList.json().error.code, 'invalid_cursor');
    const both = await get('/v1/messaging/conversations?after=a&before=b');
    assert.equal(both.statusCode, 400);
    const unknown = await get('/v1/messaging/conversations?workflowstatus=new');
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().error.message, /workflowstatus/);
  });

  test('include: expandables are null unless asked for, in every spelling', async () => {
    const plain = await get(`/v1/messaging/conversations/${assigned._id}`);
    assert.equal(plain.statusCode, 200);
    const body = plain.json();
    assert.equal(body.object, 'conversation');
    assert.equal(body.assignee, null);
    assert.equal(body.participants, null);
    assert.equal(body.group, null);
    assert.equal(body.assignee_id, userId);

    for (const query of [
      'include[]=assignee&include[]=participants',
      'include=assignee,participants',
      'include[]=assignee,participants',
    ]) {
      const res = await get(`/v1/messaging/conversations/${assigned._id}?${query}`);
      assert.equal(res.statusCode, 200, query);
      const json = res.json();
      assert.equal(json.assignee?.id, userId, query);
      assert.equal(json.assignee?.type, 'user');
      assert.equal(json.participants?.object, 'list');
      assert.equal(json.participants?.data.length, 2);
      assert.equal(json.participants?.data[0].actor?.name, 'Dana');
      assert.equal(json.group, null, 'no messaging groups yet');
    }
    const one = await get(`/v1/messaging/conversations/${assigned._id}?include[]=assignee`);
    assert.equal(one.json().participants, null);
  });

  test('include on the list expands every item; an unknown include is a 400', async () => {
    const res = await get('/v1/messaging/conversations?include[]=assignee&limit=100');
    const item = res.json<ListBody>().data.find((c) => c.id === assigned._id);
    assert.equal((item?.assignee as { id: string } | null)?.id, userId);
    assert.match(res.json<ListBody>().page_info.next_page_url ?? 'none', /none|include=assignee/);

    const bad = await get(`/v1/messaging/conversations/${assigned._id}?include[]=owner`);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /include.*"owner"/);
    const badList = await get('/v1/messaging/conversations?include=assignee,nope');
    assert.equal(badList.statusCode, 400);
  });

  test('another account’s conversation is a 404, never a 403', async () => {
    const res = await get(`/v1/messaging/conversations/${foreign._id}`);
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.type, 'not_found');
    const unknown = await get('/v1/messaging/conversations/cnv_nope');
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(
      Object.keys(res.json().error).sort(),
      ['code', 'message', 'type'],
      'the error format',
    );
    // The owner sees it.
    const own = await get(`/v1/messaging/conversations/${foreign._id}`, 'other');
    assert.equal(own.statusCode, 200);
  });

  test('the seed shape and the extras', async () => {
    const res = await get(`/v1/messaging/conversations/${cases[0]?._id}`);
    const json = res.json();
    for (const field of [
      'id',
      'object',
      'type',
      'audience',
      'title',
      'workflow_status',
      'group',
      'status',
      'legal_hold',
      'assignee',
      'participants',
      'topic',
      'unread',
      'last_message_at',
      'last_message',
      'created_at',
      'updated_at',
      'case_number',
      'priority',
      'is_spam',
      'closed_at',
      'mailbox_id',
    ]) {
      assert.ok(field in json, field);
    }
    assert.equal(json.legal_hold, 'released');
    assert.equal(json.priority, 'normal');
  });

  test('no key is a 401; a key without messaging:read is a 403', async () => {
    const anonymous = await api.app.inject({ method: 'GET', url: '/v1/messaging/conversations' });
    assert.equal(anonymous.statusCode, 401);
    const res = await api.call('approver', { method: 'GET', url: '/v1/messaging/conversations' });
    assert.equal(res.statusCode, 403);
    assert.match(res.json().error.message, /messaging:read/);
  });
});
