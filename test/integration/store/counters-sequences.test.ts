import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../../../src/store/connect.ts';
import { openStore, openStoreOn } from './helpers.ts';

let store: Store;
let uri: string;
let drop: () => Promise<void>;

describe('case numbers and sequences under concurrency', () => {
  before(async () => {
    ({ store, uri, drop } = await openStore('store-cnt'));
  });
  after(async () => drop());

  test('50 concurrent cases get case numbers exactly 1..50, per account', async () => {
    const create = (account: string) =>
      store.conversations.create({ account_id: account, type: 'group', audience: 'customer' });
    const created = await Promise.all(Array.from({ length: 50 }, () => create('acme')));
    assert.deepEqual(
      created.map((c) => c.case_number).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.equal((await create('globex')).case_number, 1);
    assert.equal((await create('acme')).case_number, 51);
  });

  test('concurrently created conversations get distinct case numbers and reply tokens', async () => {
    const created = await Promise.all(
      Array.from({ length: 20 }, () =>
        store.conversations.create({
          account_id: 'initech',
          type: 'group',
          audience: 'customer',
          email_thread: { root_message_id: null, subject_normalized: null },
        }),
      ),
    );
    assert.deepEqual(
      created.map((c) => c.case_number).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.equal(new Set(created.map((c) => c.email_thread?.reply_token)).size, 20);
  });

  test('30 concurrent appends to one conversation get sequences 1..30 with no gap', async () => {
    const conversation = await store.conversations.create({
      account_id: 'acme',
      type: 'group',
      audience: 'internal',
    });
    const messages = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        store.messages.appendSent({
          account_id: 'acme',
          conversation_id: conversation._id,
          kind: 'chat',
          visibility: 'internal',
          channel: 'message',
          body: `note ${i}`,
        }),
      ),
    );
    assert.deepEqual(
      messages.map((m) => m.sequence).sort((a, b) => (a ?? 0) - (b ?? 0)),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    const reloaded = await store.conversations.get('acme', conversation._id);
    assert.equal(reloaded?.last_sequence, 30);
    const last = messages.find((m) => m.sequence === 30);
    assert.equal(reloaded?.last_message_id, last?._id);
    assert.deepEqual(reloaded?.last_message_at, last?.created_at);
  });

  test('appends from two processes (two connections) race for sequences without gaps', async () => {
    const { store: other, drop: dropOther } = await openStoreOn(uri);
    try {
      const conversation = await store.conversations.create({
        account_id: 'acme',
        type: 'group',
        audience: 'internal',
      });
      const append = (s: Store, i: number) =>
        s.messages.appendSent({
          account_id: 'acme',
          conversation_id: conversation._id,
          kind: 'chat',
          visibility: 'internal',
          channel: 'message',
          body: `note ${i}`,
        });
      const messages = await Promise.all(
        Array.from({ length: 16 }, (_, i) => append(i % 2 ? store : other, i)),
      );
      assert.deepEqual(
        messages.map((m) => m.sequence).sort((a, b) => (a ?? 0) - (b ?? 0)),
        Array.from({ length: 16 }, (_, i) => i + 1),
      );
      assert.equal((await store.conversations.get('acme', conversation._id))?.last_sequence, 16);
    } finally {
      await dropOther();
    }
  });
});
