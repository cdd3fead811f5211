import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseBootstrap } from '../../../src/config/load-bootstrap.ts';
import { applyBootstrap } from '../../../src/store/bootstrap.ts';
import { internalsOf, type Store } from '../../../src/store/connect.ts';
import { InvalidCursorError, isDuplicateKeyError } from '../../../src/store/errors.ts';
import { UNIQUE_INDEX } from '../../../src/store/index-names.ts';
import type { MessageStatus } from '../../../src/conversations/enums.ts';
import type { ConversationRecord } from '../../../src/store/records/conversation.ts';
import { capturedLogger } from '../../support/helpers.ts';
import { openStore } from './helpers.ts';

let store: Store;
let drop: () => Promise<void>;

const KEY = 'pk_test_repo_0123456789';

describe('repositories', () => {
  before(async () => {
    ({ store, drop } = await openStore('store-repo'));
    const config = parseBootstrap(
      {
        accounts: [
          {
            id: 'acme',
            name: 'Acme',
            api_keys: [{ name: 'ops', key: KEY, permissions: ['messaging:read'] }],
            mailboxes: [
              {
                id: 'support',
                address: 'support@acme.test',
                drop_folder: '/tmp/in',
                outbox_folder: '/tmp/out',
              },
            ],
          },
        ],
      },
      {},
      '/etc/postroom.json',
    );
    await applyBootstrap(store, config, capturedLogger().logger);
  });
  after(async () => drop());

  test('findByToken: unknown tokens find nothing; use is recorded at most once a minute', async () => {
    assert.equal(await store.apiKeys.findByToken('pk_unknown_000000000'), null);
    const t0 = new Date('2030-01-01T00:00:00.000Z');
    const first = await store.apiKeys.findByToken(KEY, t0);
    assert.deepEqual(first?.last_used_at, t0);
    const soon = await store.apiKeys.findByToken(KEY, new Date(t0.getTime() + 30_000));
    assert.deepEqual(soon?.last_used_at, t0);
    const [beforeTouch] = await store.apiKeys.list('acme');
    const later = new Date(t0.getTime() + 61_000);
    await store.apiKeys.findByToken(KEY, later);
    const [stored] = await store.apiKeys.list('acme');
    assert.deepEqual(stored?.last_used_at, later);
    // Recording use is not a change to the key.
    assert.deepEqual(stored?.updated_at, beforeTouch?.updated_at);
  });

  test('mailboxes: updateSync moves last_uid forward only, unless UIDVALIDITY changes', async () => {
    await store.mailboxes.updateSync('acme', 'support', {
      uidvalidity: '7',
      last_uid: 10,
      status: 'ok',
    });
    await store.mailboxes.updateSync('acme', 'support', { last_uid: 5 });
    assert.equal((await store.mailboxes.getByKey('acme', 'support'))?.sync.last_uid, 10);
    await store.mailboxes.updateSync('acme', 'support', { uidvalidity: '8', last_uid: 3 });
    const mailbox = await store.mailboxes.getByKey('acme', 'support');
    assert.equal(mailbox?.sync.uidvalidity, '8');
    assert.equal(mailbox?.sync.last_uid, 3);
    assert.equal(mailbox?.sync.status, 'ok');
    assert.equal((await store.mailboxes.listAll()).length, 1);
    assert.equal(await store.mailboxes.updateSync('acme', 'nope', { status: 'error' }), null);
  });

  test('conversations: get never crosses accounts', async () => {
    const mine = await store.conversations.create({
      account_id: 'acme',
      type: 'group',
      audience: 'customer',
    });
    assert.equal((await store.conversations.get('acme', mine._id))?._id, mine._id);
    assert.equal(await store.conversations.get('globex', mine._id), null);
  });

  test('conversations: create fills ids, defaults and participants', async () => {
    const created = await store.conversations.create({
      account_id: 'acme',
      type: 'group',
      audience: 'customer',
      title: 'Refund',
      workflow_status: 'new',
      mailbox_id: 'support',
      email_thread: { root_message_id: 'root@x', subject_normalized: 'refund' },
      participants: [
        { type: 'customer', customer: { name: 'Carol', address: 'carol@example.test' } },
        { type: 'agent', actor_id: 'agt_acme_drafter', agent_trigger_policy: 'always' },
      ],
    });
    assert.match(created._id, /^cnv_[0-9a-f]{24}$/);
    assert.equal(created.priority, 'normal');
    assert.equal(created.status, 'active');
    assert.equal(created.legal_hold, 'released');
    assert.equal(created.is_spam, false);
    assert.equal(created.last_sequence, 0);
    assert.equal(created.participants.length, 2);
    assert.match(created.participants[0]?._id ?? '', /^par_/);
    assert.equal(created.participants[0]?.membership, 'active');
    assert.ok(created.participants[1]?.joined_at instanceof Date);
    const token = created.email_thread?.reply_token;
    assert.ok(token);
    assert.equal((await store.conversations.findByReplyToken('acme', token))?._id, created._id);
    assert.equal(await store.conversations.findByReplyToken('globex', token), null);
    // What create returned is what get reads back.
    assert.deepEqual(await store.conversations.get('acme', created._id), created);
  });

  test('conversations: list walks every item once, newest-updated first, with filters', async () => {
    const { Conversation } = internalsOf(store).models;
    const created: ConversationRecord[] = [];
    for (let i = 0; i < 23; i++) {
      created.push(
        await store.conversations.create({
          account_id: 'list-acct',
          type: 'group',
          audience: i % 4 === 0 ? 'internal' : 'customer',
          workflow_status: i % 2 ? 'open' : 'new',
          mailbox_id: i % 3 ? 'support' : 'sales',
        }),
      );
    }
    // Several share one updated_at, so the _id tie-break is exercised.
    const same = new Date('2024-01-01T00:00:00.000Z');
    await Conversation.updateMany(
      { _id: { $in: created.slice(0, 6).map((c) => c._id) } },
      { $set: { updated_at: same } },
      { timestamps: false },
    );
    const all = await store.conversations.list('list-acct', {}, { limit: 100 });
    assert.equal(all.items.length, 23);
    for (let i = 1; i < all.items.length; i++) {
      const [a, b] = [all.items[i - 1], all.items[i]];
      assert.ok(a && b);
      const order = b.updated_at.getTime() - a.updated_at.getTime() || (a._id > b._id ? -1 : 1);
      assert.ok(order < 0, 'newest-updated first, then _id descending');
    }

    const seen: string[] = [];
    let page = await store.conversations.list('list-acct', {}, { limit: 5 });
    seen.push(...page.items.map((c) => c._id));
    assert.equal(page.has_prev, false);
    while (page.has_next) {
      page = await store.conversations.list('list-acct', {}, { limit: 5, after: page.next_cursor });
      seen.push(...page.items.map((c) => c._id));
    }
    assert.deepEqual(
      seen,
      all.items.map((c) => c._id),
    );

    const open = await store.conversations.list(
      'list-acct',
      { workflow_status: ['open'] },
      { limit: 100 },
    );
    assert.equal(open.items.length, 11);
    assert.ok(open.items.every((c) => c.workflow_status === 'open'));
    const sales = await store.conversations.list('list-acct', {
      mailbox_id: 'sales',
      audience: 'customer',
    });
    assert.ok(sales.items.every((c) => c.mailbox_id === 'sales' && c.audience === 'customer'));
    assert.equal(sales.items.length, created.filter((c, i) => i % 3 === 0 && i % 4 !== 0).length);
    assert.equal((await store.conversations.list('list-acct')).items.length, 20);
    await assert.rejects(
      store.conversations.list('list-acct', {}, { after: 'garbage' }),
      InvalidCursorError,
    );
  });

  test('messages: sent by sequence, then the rest by creation; status filter; pages', async () => {
    const conversation = await store.conversations.create({
      account_id: 'acme',
      type: 'group',
      audience: 'customer',
    });
    const base = {
      account_id: 'acme',
      conversation_id: conversation._id,
      visibility: 'external',
      channel: 'email',
    } as const;
    const expectedOther: string[] = [];
    const expectedSent: string[] = [];
    for (let i = 0; i < 12; i++) {
      if (i % 3 === 0) {
        const status: MessageStatus = i % 2 ? 'scheduled' : 'draft';
        expectedOther.push(
          (await store.messages.insert({ ...base, kind: 'agent', status, body: `d${i}` }))._id,
        );
      } else {
        expectedSent.push(
          (await store.messages.appendSent({ ...base, kind: 'email', body: `m${i}` }))._id,
        );
      }
    }
    const seen: string[] = [];
    let page = await store.messages.listForConversation('acme', conversation._id, { limit: 5 });
    seen.push(...page.items.map((m) => m._id));
    while (page.has_next) {
      page = await store.messages.listForConversation('acme', conversation._id, {
        limit: 5,
        after: page.next_cursor,
      });
      seen.push(...page.items.map((m) => m._id));
    }
    assert.deepEqual(seen, [...expectedSent, ...expectedOther]);

    const drafts = await store.messages.listForConversation('acme', conversation._id, {
      status: ['draft'],
    });
    assert.ok(drafts.items.every((m) => m.status === 'draft'));
    assert.equal(drafts.items.length, 2);
    const sent = await store.messages.listForConversation('acme', conversation._id, {
      status: ['sent'],
    });
    assert.deepEqual(
      sent.items.map((m) => m.sequence),
      expectedSent.map((_, i) => i + 1),
    );
    const otherAccount = await store.messages.listForConversation('globex', conversation._id);
    assert.equal(otherAccount.items.length, 0);
    assert.equal(await store.messages.get('globex', expectedSent[0] ?? ''), null);
    assert.equal((await store.messages.get('acme', expectedSent[0] ?? ''))?.sequence, 1);
  });

  test('messages: findByEmailMessageIds finds thread members across mailboxes of the account', async () => {
    const conversation = await store.conversations.create({
      account_id: 'acme',
      type: 'group',
      audience: 'customer',
    });
    await store.messages.appendSent({
      account_id: 'acme',
      conversation_id: conversation._id,
      kind: 'email',
      visibility: 'external',
      channel: 'email',
      mailbox_id: 'support',
      email: {
        message_id: 'root-1@example.test',
        in_reply_to: null,
        references: [],
        from: null,
        to: [],
        cc: [],
        auto_submitted: false,
        auto_submitted_reason: null,
        subject: null,
        date: null,
      },
    });
    const found = await store.messages.findByEmailMessageIds('acme', [
      'nope@x',
      'root-1@example.test',
    ]);
    assert.deepEqual(
      found.map((m) => m.conversation_id),
      [conversation._id],
    );
    assert.deepEqual(
      await store.messages.findByEmailMessageIds('globex', ['root-1@example.test']),
      [],
    );
    assert.deepEqual(await store.messages.findByEmailMessageIds('acme', []), []);
  });

  test("actors.getMany returns the account's actors by id", async () => {
    const key = (await store.apiKeys.list('acme'))[0];
    assert.ok(key);
    const actors = await store.actors.getMany('acme', [
      key.actor_id,
      null,
      'act_missing',
      key.actor_id,
    ]);
    assert.deepEqual([...actors.keys()], [key.actor_id]);
    assert.equal((await store.actors.getMany('globex', [key.actor_id])).size, 0);
  });

  test('Message-IDs are stored bare, so bracketed and bare forms dedupe and thread together', async () => {
    const conversation = await store.conversations.create({
      account_id: 'acme',
      type: 'group',
      audience: 'customer',
      email_thread: { root_message_id: ' <root-2@example.test> ', subject_normalized: null },
      participants: [
        { type: 'customer', customer: { name: null, address: ' Carol@Example.TEST ' } },
      ],
    });
    assert.equal(conversation.email_thread?.root_message_id, 'root-2@example.test');
    assert.equal(conversation.participants[0]?.customer?.address, 'carol@example.test');
    const base = {
      account_id: 'acme',
      conversation_id: conversation._id,
      kind: 'email',
      visibility: 'external',
      channel: 'email',
      mailbox_id: 'support',
    } as const;
    const stored = await store.messages.appendSent({
      ...base,
      email: {
        message_id: '<root-2@example.test>',
        in_reply_to: '<a@x>',
        references: ['<a@x>', 'b@x'],
      },
    });
    assert.equal(stored.email?.message_id, 'root-2@example.test');
    assert.equal(stored.email?.in_reply_to, 'a@x');
    assert.deepEqual(stored.email?.references, ['a@x', 'b@x']);
    assert.deepEqual(stored.email?.to, []);
    assert.equal(stored.email?.auto_submitted, false);
    await store.messages.appendSent({
      ...base,
      email: { message_id: 'root-3@example.test', dedupe_key: 'root-3@example.test' },
    });
    await assert.rejects(
      store.messages.appendSent({
        ...base,
        email: { message_id: 'root-3@example.test', dedupe_key: 'root-3@example.test' },
      }),
      (error) => isDuplicateKeyError(error, UNIQUE_INDEX.messageDedupeKey),
    );
    assert.ok(
      await store.messages.findByEmailMessageId('acme', 'support', '<root-2@example.test>'),
    );
    assert.equal(
      (await store.messages.findByEmailMessageIds('acme', ['<root-2@example.test>'])).length,
      1,
    );
  });

  test('a deployment secret is created once and the same for every caller', async () => {
    const [first, second] = await Promise.all([
      store.settings.secret('test_secret'),
      store.settings.secret('test_secret'),
    ]);
    assert.equal(first, second);
    assert.match(first, /^[\w-]{43}$/, '32 random bytes, base64url');
    assert.equal(await store.settings.secret('test_secret'), first);
    assert.notEqual(await store.settings.secret('other_secret'), first);
  });
});
