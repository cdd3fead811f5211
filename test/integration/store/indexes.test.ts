import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listIndexes } from '../../../src/store/admin.ts';
import { internalsOf, type Store } from '../../../src/store/connect.ts';
import { isDuplicateKeyError } from '../../../src/store/errors.ts';
import { UNIQUE_INDEX } from '../../../src/store/index-names.ts';
import type { NewMessage } from '../../../src/store/repositories/messages.ts';
import { openStore } from './helpers.ts';

let store: Store;
let drop: () => Promise<void>;

function inbound(
  conversationId: string,
  mailbox: string,
  messageId: string,
  /** null: a document from before dedupe keys (or one we sent). */
  dedupeKey: string | null = messageId,
): NewMessage {
  return {
    account_id: 'acme',
    conversation_id: conversationId,
    kind: 'email',
    visibility: 'external',
    channel: 'email',
    body: 'hello',
    mailbox_id: mailbox,
    email: {
      message_id: messageId,
      in_reply_to: null,
      references: [],
      from: { name: null, address: 'carol@example.test' },
      to: [],
      cc: [],
      auto_submitted: false,
      auto_submitted_reason: null,
      subject: 'hi',
      date: null,
      ...(dedupeKey === null ? {} : { dedupe_key: dedupeKey }),
    },
  };
}

async function newCase(mailbox = 'support') {
  return store.conversations.create({
    account_id: 'acme',
    type: 'group',
    audience: 'customer',
    workflow_status: 'new',
    mailbox_id: mailbox,
    email_thread: { root_message_id: null, subject_normalized: 'hi' },
  });
}

describe('store indexes', () => {
  before(async () => {
    ({ store, drop } = await openStore('store-idx'));
  });
  after(async () => drop());

  test('ensureIndexes creates the declared indexes, and running it again is harmless', async () => {
    await store.ensureIndexes();
    const messages = await listIndexes(store, 'chat_messages');
    const byName = new Map(messages.map((i) => [i.name, i]));
    for (const name of [
      UNIQUE_INDEX.messageSequence,
      UNIQUE_INDEX.messageDedupeKey,
      UNIQUE_INDEX.messageClientId,
    ]) {
      const index = byName.get(name);
      assert.ok(index, `missing ${name}`);
      assert.equal(index.unique, true);
      assert.ok(index.partialFilterExpression, `${name} should be partial`);
    }
    assert.ok(byName.has('account_id_1_email.message_id_1'));
    assert.ok(
      !byName.has('account_id_1_mailbox_id_1_email.message_id_1'),
      'no unique Message-ID index: a reused id is a message of its own',
    );
    assert.ok(byName.has('conversation_id_1_status_1_created_at_1'));
    assert.ok(byName.has('status_1_scheduled_at_1'));
    const conversations = new Map(
      (await listIndexes(store, 'conversations')).map((i) => [i.name, i]),
    );
    assert.equal(conversations.get(UNIQUE_INDEX.caseNumber)?.unique, true);
    assert.equal(conversations.get(UNIQUE_INDEX.replyToken)?.unique, true);
    for (const name of [UNIQUE_INDEX.threadRoot, UNIQUE_INDEX.threadRootKey]) {
      assert.equal(conversations.get(name)?.unique, true, name);
      assert.ok(conversations.get(name)?.partialFilterExpression, `${name} should be partial`);
    }
    for (const name of [
      'account_id_1_workflow_status_1_updated_at_-1',
      'account_id_1_mailbox_id_1_updated_at_-1',
      'account_id_1_participants.customer.address_1',
    ]) {
      assert.ok(conversations.has(name), `missing ${name}`);
    }
    const runs = await listIndexes(store, 'agent_runs');
    assert.equal(runs.find((i) => i.name === UNIQUE_INDEX.agentRunTrigger)?.unique, true);
    const keys = await listIndexes(store, 'api_keys');
    assert.equal(keys.find((i) => i.name === 'key_hash_1')?.unique, true);
    assert.equal(keys.find((i) => i.name === 'account_id_1_name_1')?.unique, true);
  });

  test('a duplicate case number in an account is refused (E11000)', async () => {
    const first = await newCase();
    const { Conversation } = internalsOf(store).models;
    await assert.rejects(
      Conversation.create({
        _id: 'cnv_dup',
        account_id: 'acme',
        type: 'group',
        audience: 'customer',
        case_number: first.case_number,
      }),
      (error) => isDuplicateKeyError(error, UNIQUE_INDEX.caseNumber),
    );
    // The same number in another account is fine.
    await Conversation.create({
      _id: 'cnv_other_account',
      account_id: 'globex',
      type: 'group',
      audience: 'customer',
      case_number: first.case_number,
    });
  });

  test('the same dedupe key twice in a mailbox is refused; in another mailbox it is fine', async () => {
    const a = await newCase('support');
    const b = await newCase('sales');
    await store.messages.appendSent(inbound(a._id, 'support', 'm1@example.test'));
    await assert.rejects(
      store.messages.appendSent(inbound(a._id, 'support', 'm1@example.test')),
      (error) => isDuplicateKeyError(error, UNIQUE_INDEX.messageDedupeKey),
    );
    // A second conversation in the same mailbox does not escape the dedupe.
    const c = await newCase('support');
    await assert.rejects(
      store.messages.appendSent(inbound(c._id, 'support', 'm1@example.test')),
      (error) => isDuplicateKeyError(error, UNIQUE_INDEX.messageDedupeKey),
    );
    const copy = await store.messages.appendSent(inbound(b._id, 'sales', 'm1@example.test'));
    assert.equal(copy.sequence, 1);
    // A different mail reusing the Message-ID has a key of its own.
    const reused = await store.messages.appendSent(
      inbound(c._id, 'support', 'm1@example.test', `m1@example.test#${'b'.repeat(64)}`),
    );
    const found = await store.messages.findByEmailMessageId('acme', 'support', 'm1@example.test');
    assert.equal(found?.conversation_id, a._id, 'the earliest stored copy of an id');
    const copies = await store.messages.findCopies('acme', 'support', ['m1@example.test']);
    assert.deepEqual(
      copies.map((m) => m._id),
      [found?._id, reused._id],
    );
    // The refused copy took no sequence: the next message in `a` is 2.
    const next = await store.messages.appendSent(inbound(a._id, 'support', 'm2@example.test'));
    assert.equal(next.sequence, 2);
  });

  test('documents without a dedupe key (stored by earlier versions, or sent by us) never collide', async () => {
    const a = await newCase('support');
    await store.messages.appendSent(inbound(a._id, 'support', 'old@example.test', null));
    await store.messages.appendSent(inbound(a._id, 'support', 'old@example.test', null));
    assert.equal(
      (await store.messages.findCopies('acme', 'support', ['old@example.test'])).length,
      2,
    );
  });

  test('the unique Message-ID index of earlier versions is dropped at start', async () => {
    // A database as an earlier version left it: its own, since the index spans the collection.
    const old = await openStore('store-idx-old');
    try {
      const { connection } = internalsOf(old.store);
      const messages = connection.collection('chat_messages');
      await messages.dropIndex(UNIQUE_INDEX.messageDedupeKey);
      await messages.createIndex(
        { account_id: 1, mailbox_id: 1, 'email.message_id': 1 },
        { unique: true, partialFilterExpression: { 'email.message_id': { $type: 'string' } } },
      );
      const a = await old.store.conversations.create({
        account_id: 'acme',
        type: 'group',
        audience: 'customer',
        mailbox_id: 'support',
      });
      const reused = `reused@example.test#${'c'.repeat(64)}`;
      await old.store.messages.appendSent(inbound(a._id, 'support', 'reused@example.test'));
      await assert.rejects(
        old.store.messages.appendSent(inbound(a._id, 'support', 'reused@example.test', reused)),
        /E11000/,
        'the old index refuses a second mail with the id',
      );

      await old.store.ensureIndexes();
      const names = (await listIndexes(old.store, 'chat_messages')).map((i) => i.name);
      assert.ok(!names.includes('account_id_1_mailbox_id_1_email.message_id_1'), names.join());
      assert.ok(names.includes(UNIQUE_INDEX.messageDedupeKey));
      await old.store.messages.appendSent(inbound(a._id, 'support', 'reused@example.test', reused));
      // Harmless when there is nothing left to drop.
      await old.store.ensureIndexes();
    } finally {
      await old.drop();
    }
  });

  test('a sequence cannot be given twice in a conversation', async () => {
    const conversation = await newCase();
    const message = await store.messages.appendSent(inbound(conversation._id, 'support', 'seq1@x'));
    const { Message } = internalsOf(store).models;
    await assert.rejects(
      Message.create({
        _id: 'msg_dup_seq',
        account_id: 'acme',
        conversation_id: conversation._id,
        kind: 'chat',
        status: 'sent',
        visibility: 'internal',
        channel: 'message',
        sequence: message.sequence,
      }),
      (error) => isDuplicateKeyError(error, UNIQUE_INDEX.messageSequence),
    );
  });

  test('client_message_id dedupes within a conversation only; messages without one never collide', async () => {
    const one = await newCase();
    const two = await newCase();
    const draft = (conversationId: string, clientId?: string): NewMessage => ({
      account_id: 'acme',
      conversation_id: conversationId,
      kind: 'chat',
      status: 'draft',
      visibility: 'internal',
      channel: 'message',
      body: 'note',
      ...(clientId ? { client_message_id: clientId } : {}),
    });
    await store.messages.insert(draft(one._id, 'client-1'));
    await assert.rejects(store.messages.insert(draft(one._id, 'client-1')), (error) =>
      isDuplicateKeyError(error, UNIQUE_INDEX.messageClientId),
    );
    await store.messages.insert(draft(two._id, 'client-1'));
    await store.messages.insert(draft(one._id));
    await store.messages.insert(draft(one._id));
  });

  test('unsent messages carry no sequence, so many drafts coexist', async () => {
    const conversation = await newCase();
    for (let i = 0; i < 3; i++) {
      const draft = await store.messages.insert({
        account_id: 'acme',
        conversation_id: conversation._id,
        kind: 'agent',
        visibility: 'external',
        channel: 'email',
        body: `draft ${i}`,
      });
      assert.equal(draft.sequence, undefined);
      assert.equal(draft.status, 'draft');
    }
    await assert.rejects(
      store.messages.insert({
        account_id: 'acme',
        conversation_id: conversation._id,
        kind: 'chat',
        status: 'sent',
        visibility: 'internal',
        channel: 'message',
      }),
      /appendSent/,
    );
  });
});
