// Delivery's writes from the copies the caller already read: each saves a
// read or a step while the copy still holds, and must come out exactly as the
// full sequence when the stored document moved on meanwhile.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { afterSent } from '../../../src/delivery/effects.ts';
import { internalsOf, type Store } from '../../../src/store/connect.ts';
import type { ConversationRecord, MessageRecord } from '../../../src/store/index.ts';
import type { OutboundEmailMeta } from '../../../src/store/repositories/delivery.ts';
import { openStore } from './helpers.ts';

let store: Store;
let drop: () => Promise<void>;

const noPublisher = { publish: async () => undefined };

function meta(tag: string): OutboundEmailMeta {
  return {
    message_id: `<${tag}@acme.test>`,
    in_reply_to: null,
    references: [],
    from: { name: 'Acme', address: 'support@acme.test' },
    to: [{ name: null, address: 'jane@customer.test' }],
    cc: [],
    subject: 'Re: order',
    date: new Date(),
  };
}

async function openCase(
  workflow: ConversationRecord['workflow_status'] = 'needs_approval',
): Promise<ConversationRecord> {
  return store.conversations.create({
    account_id: 'acme',
    type: 'group',
    audience: 'customer',
    workflow_status: workflow,
  });
}

async function scheduledReply(conversation: ConversationRecord): Promise<MessageRecord> {
  return store.messages.insert({
    account_id: 'acme',
    conversation_id: conversation._id,
    kind: 'agent',
    status: 'scheduled',
    visibility: 'external',
    channel: 'email',
    body: 'Your order ships tomorrow.',
    scheduled_at: new Date(Date.now() - 1000),
  });
}

/** A scheduled reply with its headers fixed, as delivery has it before its first attempt. */
async function preparedReply(conversation: ConversationRecord): Promise<MessageRecord> {
  const reply = await scheduledReply(conversation);
  const fixed = await store.delivery.fixEmailMeta('acme', reply._id, meta(reply._id), reply);
  assert.ok(fixed);
  return fixed;
}

/** A write by someone else, after the caller read its copy (updated_at moves on). */
async function touch(messageId: string, set: Record<string, unknown>): Promise<void> {
  const { Message } = internalsOf(store).models;
  await Message.updateOne({ _id: messageId }, { $set: set }).exec();
}

describe("delivery writes from the caller's copy", () => {
  before(async () => {
    ({ store, drop } = await openStore('store-dlv'));
  });
  after(async () => drop());

  test('fixEmailMeta uses the copy only while the message is still that version', async () => {
    const conversation = await openCase();
    const fresh = await scheduledReply(conversation);
    const fixed = await store.delivery.fixEmailMeta('acme', fresh._id, meta('a'), fresh);
    assert.equal(fixed?.email?.message_id, 'a@acme.test');
    assert.equal(fixed?.email?.auto_submitted, false);

    const stale = await scheduledReply(conversation);
    await touch(stale._id, {
      email: { auto_submitted: true, auto_submitted_reason: 'auto-replied' },
    });
    const refixed = await store.delivery.fixEmailMeta('acme', stale._id, meta('b'), stale);
    assert.equal(refixed?.email?.message_id, 'b@acme.test');
    // Built from the stored email, not from the copy's.
    assert.equal(refixed?.email?.auto_submitted, true);
    assert.equal(refixed?.email?.auto_submitted_reason, 'auto-replied');

    const raced = await scheduledReply(conversation);
    await store.delivery.fixEmailMeta('acme', raced._id, meta('first'));
    const second = await store.delivery.fixEmailMeta('acme', raced._id, meta('second'), raced);
    assert.equal(second?.email?.message_id, 'first@acme.test', 'the first Message-ID stays');
  });

  test('beginAttempt on a never-attempted copy counts exactly one attempt, whatever happened since', async () => {
    const conversation = await openCase();
    const fresh = await preparedReply(conversation);
    const first = await store.delivery.beginAttempt(fresh, 'Re: order');
    assert.equal(first?.delivery?.attempts, 1);
    assert.ok(first?.delivery?.sending_at instanceof Date);
    assert.equal(first?.delivery?.next_attempt_at, null);
    assert.equal(first?.email?.subject, 'Re: order');

    // Attempted twice by others since the copy was read: the third attempt, not a reset.
    const stale = await preparedReply(conversation);
    await touch(stale._id, {
      delivery: { attempts: 2, last_error: null, next_attempt_at: null, sent_at: null },
    });
    const third = await store.delivery.beginAttempt(stale, 'Re: order');
    assert.equal(third?.delivery?.attempts, 3);

    // Re-approved for later meanwhile: not due, nothing counted.
    const later = await preparedReply(conversation);
    await touch(later._id, { scheduled_at: new Date(Date.now() + 60_000) });
    assert.equal(await store.delivery.beginAttempt(later, 'Re: order'), null);
    assert.equal((await store.messages.get('acme', later._id))?.delivery?.attempts, 0);
  });

  test('recordSentCheckFailure counts against the interrupted attempt only; the next attempt starts at 0', async () => {
    const conversation = await openCase();
    const reply = await preparedReply(conversation);
    const started = await store.delivery.beginAttempt(reply, 'Re: order');
    assert.ok(started?.delivery?.sending_at);
    const error = { code: 'sent_check_failed', response: null, message: 'IMAP down' };
    const at = new Date(Date.now() + 5_000);
    const once = await store.delivery.recordSentCheckFailure(started, error, at);
    assert.equal(once?.delivery?.sent_checks, 1);
    assert.deepEqual(once?.delivery?.next_attempt_at, at);
    assert.equal(once?.delivery?.last_error?.code, 'sent_check_failed');
    assert.deepEqual(once?.delivery?.sending_at, started.delivery.sending_at, 'still unknown');
    const twice = await store.delivery.recordSentCheckFailure(started, error, at);
    assert.equal(twice?.delivery?.sent_checks, 2);

    // A new attempt (the resend) begins: a run holding the old copy counts nothing.
    await touch(reply._id, { 'delivery.next_attempt_at': null });
    const resent = await store.delivery.beginAttempt(started, 'Re: order');
    assert.equal(resent?.delivery?.sent_checks, 0);
    assert.equal(resent?.delivery?.attempts, 2);
    await touch(reply._id, { 'delivery.sending_at': new Date(Date.now() + 1_000) });
    assert.equal(await store.delivery.recordSentCheckFailure(started, error, at), null);
    // Nor on a message that never began an attempt.
    assert.equal(await store.delivery.recordSentCheckFailure(reply, error, at), null);
  });

  test('markSent from the copy takes the next sequence and records the send', async () => {
    const conversation = await openCase();
    const never = await preparedReply(conversation);
    const sentAt = new Date();
    const sent = await store.delivery.markSent(never, sentAt);
    assert.equal(sent?.status, 'sent');
    assert.equal(sent?.sequence, 1);
    assert.deepEqual(sent?.delivery?.sent_at, sentAt);

    const attempted = await preparedReply(conversation);
    const started = await store.delivery.beginAttempt(attempted, 'Re: order');
    assert.ok(started);
    const second = await store.delivery.markSent(started);
    assert.equal(second?.sequence, 2);
    assert.equal(second?.delivery?.attempts, 1);
    assert.equal(second?.delivery?.sending_at, null);
    assert.equal(await store.delivery.markSent(started), null, 'sent once only');
    const after = await store.conversations.get('acme', conversation._id);
    assert.equal(after?.last_sequence, 2);
  });

  test('after a send, the case moves and gets its first response even when the copy is stale', async () => {
    const sent = async (conversation: ConversationRecord): Promise<MessageRecord> => {
      const reply = await scheduledReply(conversation);
      const marked = await store.delivery.markSent(reply);
      assert.ok(marked);
      return marked;
    };
    const deps = { store, publisher: noPublisher };

    const fresh = await openCase();
    const first = await sent(fresh);
    await afterSent(deps, first, fresh);
    let now = await store.conversations.get('acme', fresh._id);
    assert.equal(now?.workflow_status, 'waiting_external');
    assert.deepEqual(now?.first_response_at, first.delivery?.sent_at);

    // Answered and moved by others since the copy was read.
    const stale = await openCase('needs_approval');
    const earlier = new Date(Date.now() - 60_000);
    await store.delivery.setFirstResponse('acme', stale._id, earlier);
    await store.conversations.applyWorkflowEvent('acme', stale._id, { type: 'delivery_failed' });
    await afterSent(deps, await sent(stale), stale);
    now = await store.conversations.get('acme', stale._id);
    assert.equal(now?.workflow_status, 'waiting_external');
    assert.deepEqual(now?.first_response_at, earlier, 'the first response is never replaced');

    // Answered by another reply since, in the same status: that first response stays.
    const answered = await openCase('needs_approval');
    await store.delivery.setFirstResponse('acme', answered._id, earlier);
    await afterSent(deps, await sent(answered), answered);
    now = await store.conversations.get('acme', answered._id);
    assert.equal(now?.workflow_status, 'waiting_external');
    assert.deepEqual(now?.first_response_at, earlier);

    // Already waiting on the customer when read, back to the team since: moved again.
    const waiting = await openCase('waiting_external');
    await store.conversations.applyWorkflowEvent('acme', waiting._id, { type: 'delivery_failed' });
    await afterSent(deps, await sent(waiting), waiting);
    now = await store.conversations.get('acme', waiting._id);
    assert.equal(now?.workflow_status, 'waiting_external');
    assert.ok(now?.first_response_at instanceof Date);
  });
});
