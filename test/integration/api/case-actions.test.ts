// Seed C's case actions through the API: set-awaiting sets and clears
// `awaiting`; transfer moves the case to another mailbox of the same account
// (another account's mailbox is unknown). Both are audited. The reply from
// the new mailbox is in test/integration/delivery/transfer.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationRecord } from '../../../src/store/index.ts';
import { ACME, GLOBEX, createCase, openApi, type ApiHarness } from './helpers.ts';

let api: ApiHarness;
let foreign: ConversationRecord;

function mailbox(id: string, address: string) {
  return { id, address, drop_folder: '/nonexistent/drop', outbox_folder: '/nonexistent/outbox' };
}

async function action(
  id: string,
  name: string,
  payload: unknown,
  key: 'writer' | 'reader' = 'writer',
) {
  return api.call(key, {
    method: 'POST',
    url: `/v1/messaging/conversations/${id}/actions/${name}`,
    payload: payload as Record<string, unknown>,
  });
}

async function auditKinds(id: string): Promise<Array<{ kind: string; changes: unknown[] }>> {
  const res = await api.call('reader', {
    method: 'GET',
    url: `/v1/messaging/conversations/${id}/audit`,
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ data: Array<{ kind: string; changes: unknown[] }> }>().data;
}

describe('case actions', () => {
  before(async () => {
    api = await openApi(
      'api-case-actions',
      [],
      {
        mailboxes: [
          mailbox('support', 'support@acme.test'),
          mailbox('billing', 'billing@acme.test'),
        ],
      },
      { mailboxes: [mailbox('vault', 'vault@globex.test')] },
    );
    foreign = await createCase(api.store, { account_id: GLOBEX, mailbox_id: 'vault' });
  });
  after(() => api.close());

  test('set-awaiting sets and clears awaiting, audited once per change', async () => {
    const conv = await createCase(api.store);
    const plain = await api.call('reader', {
      method: 'GET',
      url: `/v1/messaging/conversations/${conv._id}`,
    });
    assert.equal(plain.json().awaiting, false);
    const set = await action(conv._id, 'set-awaiting', { awaiting: true });
    assert.equal(set.statusCode, 200, set.body);
    assert.equal(set.json().awaiting, true);
    const again = await action(conv._id, 'set-awaiting', { awaiting: true });
    assert.equal(again.json().awaiting, true);
    const cleared = await action(conv._id, 'set-awaiting', { awaiting: false });
    assert.equal(cleared.json().awaiting, false);
    const entries = (await auditKinds(conv._id)).filter((e) => e.kind === 'awaiting_changed');
    assert.deepEqual(
      entries.map((e) => e.changes),
      [
        [{ field: 'awaiting', before: false, after: true }],
        [{ field: 'awaiting', before: true, after: false }],
      ],
    );
  });

  test('set-awaiting: bad input 400, not a case 422, 403, another account 404', async () => {
    const conv = await createCase(api.store);
    for (const payload of [{}, { awaiting: 'yes' }, { awaiting: true, extra: 1 }]) {
      const res = await action(conv._id, 'set-awaiting', payload);
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.match(res.json().error.message, /body/);
    }
    const chat = await api.store.conversations.create({
      account_id: ACME,
      type: 'group',
      audience: 'internal',
    });
    const notCase = await action(chat._id, 'set-awaiting', { awaiting: true });
    assert.equal(notCase.statusCode, 422);
    assert.equal(notCase.json().error.code, 'not_a_case');
    const forbidden = await action(conv._id, 'set-awaiting', { awaiting: true }, 'reader');
    assert.equal(forbidden.statusCode, 403);
    const hidden = await action(foreign._id, 'set-awaiting', { awaiting: true });
    assert.equal(hidden.statusCode, 404);
    assert.equal((await api.store.conversations.get(GLOBEX, foreign._id))?.awaiting, false);
  });

  test('transfer moves the case to another mailbox of the account, keeping its thread', async () => {
    const conv = await createCase(api.store, {
      email_thread: { root_message_id: 'root@customer.test', subject_normalized: 'order' },
    });
    const res = await action(conv._id, 'transfer', { mailbox_id: 'billing' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().mailbox_id, 'billing');
    const stored = await api.store.conversations.get(ACME, conv._id);
    assert.deepEqual(stored?.email_thread, conv.email_thread, 'thread keys unchanged');
    const same = await action(conv._id, 'transfer', { mailbox_id: 'billing' });
    assert.equal(same.statusCode, 200);
    const entries = (await auditKinds(conv._id)).filter((e) => e.kind === 'transferred');
    assert.deepEqual(
      entries.map((e) => e.changes),
      [[{ field: 'mailbox_id', before: 'support', after: 'billing' }]],
    );
  });

  test("transfer: another account's mailbox is refused; bad input 400; 403; 404", async () => {
    const conv = await createCase(api.store);
    for (const id of ['vault', 'nowhere']) {
      const res = await action(conv._id, 'transfer', { mailbox_id: id });
      assert.equal(res.statusCode, 422, id);
      assert.equal(res.json().error.code, 'invalid_mailbox');
    }
    assert.equal((await api.store.conversations.get(ACME, conv._id))?.mailbox_id, 'support');
    for (const payload of [{}, { mailbox_id: '' }, { mailbox_id: 7 }]) {
      const res = await action(conv._id, 'transfer', payload);
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.match(res.json().error.message, /body/);
    }
    const forbidden = await action(conv._id, 'transfer', { mailbox_id: 'billing' }, 'reader');
    assert.equal(forbidden.statusCode, 403);
    const hidden = await action(foreign._id, 'transfer', { mailbox_id: 'support' });
    assert.equal(hidden.statusCode, 404);
    assert.equal((await api.store.conversations.get(GLOBEX, foreign._id))?.mailbox_id, 'vault');
  });

  test('reporter is the customer who opened the case, in the actor shape', async () => {
    const opened = new Date('2026-01-01T10:00:00Z');
    const conv = await createCase(api.store, {
      participants: [
        {
          type: 'customer',
          customer: { name: 'Ann Cc', address: 'ann@customer.test' },
          joined_at: new Date(opened.getTime() + 60_000),
        },
        {
          type: 'customer',
          customer: { name: 'Jane Doe', address: 'jane@customer.test' },
          joined_at: opened,
        },
      ],
    });
    const jane = conv.participants.find((p) => p.customer?.address === 'jane@customer.test');
    const res = await api.call('reader', {
      method: 'GET',
      url: `/v1/messaging/conversations/${conv._id}`,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().reporter, {
      id: jane?._id,
      object: 'actor',
      type: 'customer',
      name: 'Jane Doe',
      handle: 'jane@customer.test',
      avatar_url: null,
      role: null,
    });
    const chat = await api.store.conversations.create({
      account_id: ACME,
      type: 'group',
      audience: 'internal',
    });
    const internal = await api.call('reader', {
      method: 'GET',
      url: `/v1/messaging/conversations/${chat._id}`,
    });
    assert.equal(internal.json().reporter, null);
  });
});
