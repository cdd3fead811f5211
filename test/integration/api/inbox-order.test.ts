// The approver's inbox over the API: order=inbox puts every case awaiting
// approval first and then the others, each the longest-waiting first, paged
// by cursor so that no case awaiting approval hides behind a page of others;
// and GET /v1/messaging/mailboxes lists the account's mailboxes for the
// inbox's filter to anyone who may read cases, with no admin detail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationRecord } from '../../../src/store/index.ts';
import { GLOBEX, createCase, openApi, type ApiHarness } from './helpers.ts';

let api: ApiHarness;
const cases: ConversationRecord[] = [];

function mailbox(id: string, address: string, displayName?: string) {
  return {
    id,
    address,
    ...(displayName ? { display_name: displayName } : {}),
    drop_folder: '/nonexistent/drop',
    outbox_folder: '/nonexistent/outbox',
  };
}

interface ListBody {
  data: Array<{ id: string; workflow_status: string; created_at: string }>;
  page_info: { next_page_url: string | null; has_next_page: boolean };
}

async function walk(url: string): Promise<{ ids: string[]; sizes: number[] }> {
  const ids: string[] = [];
  const sizes: number[] = [];
  let next: string | null = url;
  while (next) {
    const res = await api.call('reader', { method: 'GET', url: next });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<ListBody>();
    sizes.push(body.data.length);
    ids.push(...body.data.map((c) => c.id));
    next = body.page_info.next_page_url;
  }
  return { ids, sizes };
}

/** The order the inbox promises, written out from the records themselves. */
function expectedOrder(records: ConversationRecord[]): string[] {
  const rank = (c: ConversationRecord) => (c.workflow_status === 'needs_approval' ? 0 : 1);
  return [...records]
    .sort(
      (a, b) =>
        rank(a) - rank(b) ||
        a.created_at.getTime() - b.created_at.getTime() ||
        (a._id < b._id ? -1 : a._id > b._id ? 1 : 0),
    )
    .map((c) => c._id);
}

describe('the inbox order and the mailbox list', () => {
  before(async () => {
    api = await openApi(
      'api-inbox-order',
      [],
      {
        mailboxes: [
          mailbox('support', 'support@acme.test', 'Acme Support'),
          mailbox('billing', 'billing@acme.test'),
        ],
      },
      { mailboxes: [mailbox('vault', 'vault@globex.test')] },
    );
    // 130 cases; the ones awaiting approval are spread over the whole age
    // range, so the newest of them is younger than most of the others.
    const statuses = ['new', 'open', 'needs_approval', 'resolved', 'new'] as const;
    for (let i = 0; i < 130; i++) {
      cases.push(
        await createCase(api.store, {
          workflow_status: statuses[i % statuses.length],
          mailbox_id: i % 4 === 0 ? 'billing' : 'support',
          title: `Inbox case ${i}`,
        }),
      );
    }
    await createCase(api.store, { account_id: GLOBEX, mailbox_id: 'vault', title: 'Foreign' });
  });
  after(() => api.close());

  test('order=inbox walks awaiting-approval cases first, then the rest, each oldest first', async () => {
    const { ids, sizes } = await walk('/v1/messaging/conversations?order=inbox&limit=25');
    assert.deepEqual(sizes, [25, 25, 25, 25, 25, 5]);
    assert.equal(new Set(ids).size, 130, 'every case once, none of another account');
    assert.deepEqual(ids, expectedOrder(cases));
    const awaiting = cases.filter((c) => c.workflow_status === 'needs_approval').length;
    assert.equal(awaiting, 26);
    const firstPageStatuses = new Set(ids.slice(0, 25).map((id) => statusOf(id)));
    assert.deepEqual([...firstPageStatuses], ['needs_approval'], 'page one is all approvals');
  });

  test('order=inbox keeps the filters, and a status filter without needs_approval skips that part', async () => {
    const billing = await walk(
      '/v1/messaging/conversations?order=inbox&mailbox_id=billing&limit=7',
    );
    assert.deepEqual(billing.ids, expectedOrder(cases.filter((c) => c.mailbox_id === 'billing')));
    const some = await walk(
      '/v1/messaging/conversations?order=inbox&workflow_status=open,needs_approval&limit=10',
    );
    assert.deepEqual(
      some.ids,
      expectedOrder(
        cases.filter((c) => c.workflow_status === 'open' || c.workflow_status === 'needs_approval'),
      ),
    );
    const noApprovals = await walk(
      '/v1/messaging/conversations?order=inbox&workflow_status=resolved&limit=10',
    );
    assert.deepEqual(
      noApprovals.ids,
      expectedOrder(cases.filter((c) => c.workflow_status === 'resolved')),
    );
  });

  test('a cursor of one order is refused by the other; an unknown order is a 400 naming it', async () => {
    const first = await api.call('reader', {
      method: 'GET',
      url: '/v1/messaging/conversations?order=inbox&limit=5',
    });
    const next = first.json<ListBody>().page_info.next_page_url ?? '';
    assert.match(next, /order=inbox/, 'the next link keeps the order');
    const after = new URL(next, 'http://x').searchParams.get('after') ?? '';
    const mixed = await api.call('reader', {
      method: 'GET',
      url: `/v1/messaging/conversations?after=${encodeURIComponent(after)}`,
    });
    assert.equal(mixed.statusCode, 400, mixed.body);
    const bad = await api.call('reader', {
      method: 'GET',
      url: '/v1/messaging/conversations?order=priority',
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /query\.order: unknown value "priority"/);
  });

  test('GET /v1/messaging/mailboxes: the account’s mailboxes for a reader, names and addresses only', async () => {
    const res = await api.call('reader', { method: 'GET', url: '/v1/messaging/mailboxes' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ object: string; data: Array<Record<string, unknown>> }>();
    assert.equal(body.object, 'list');
    const byId = new Map(body.data.map((m) => [m.id, m]));
    assert.deepEqual([...byId.keys()].sort(), ['billing', 'support']);
    assert.deepEqual(byId.get('support'), {
      id: 'support',
      object: 'mailbox',
      address: 'support@acme.test',
      display_name: 'Acme Support',
    });
    const other = await api.call('other', { method: 'GET', url: '/v1/messaging/mailboxes' });
    assert.deepEqual(
      other.json<{ data: Array<{ id: string }> }>().data.map((m) => m.id),
      ['vault'],
    );
    const anonymous = await api.app.inject({ method: 'GET', url: '/v1/messaging/mailboxes' });
    assert.equal(anonymous.statusCode, 401);
    const approver = await api.call('approver', { method: 'GET', url: '/v1/messaging/mailboxes' });
    assert.equal(approver.statusCode, 403);
  });
});

function statusOf(id: string): string {
  return cases.find((c) => c._id === id)?.workflow_status ?? 'missing';
}
