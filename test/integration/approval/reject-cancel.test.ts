// POST .../actions/reject and .../actions/cancel through the real runtime,
// and the automatic cancel when the customer writes again before delivery.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CANCELED_ON_REPLY_REASON,
  cancelScheduledOnCustomerReply,
} from '../../../src/approval/cancel-on-reply.ts';
import type { RealtimeEvent } from '../../../src/realtime/events.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import {
  READER_KEY,
  WRITER_KEY,
  act,
  caseWithDraft,
  createCase,
  createDraft,
  customerEmail,
  deliverJob,
  errorOf,
  forceMessage,
  message,
  okJson,
  startApprovalRuntime,
  stopRuntime,
} from './helpers.ts';

let runtime: TestRuntime;
const store = () => runtime.context.store;
const later = () => new Date(Date.now() + 3_600_000).toISOString();

async function scheduledDraft(body?: string) {
  const seeded = await caseWithDraft(store(), body);
  await okJson(await act(runtime, seeded.draft._id, 'approve', { scheduled_at: later() }));
  return seeded;
}

describe('reject', () => {
  before(async () => {
    runtime = await startApprovalRuntime();
  });
  after(() => stopRuntime(runtime));

  test('a draft is rejected with who and why; a second reject is 409', async () => {
    const { draft } = await caseWithDraft(store());
    const json = await okJson(
      await act(runtime, draft._id, 'reject', { reason: '  Wrong order number  ' }),
    );
    assert.equal(json.status, 'rejected');
    const key = await store().apiKeys.findByToken('pk_test_runtime_key_0001');
    const rejection = json.rejection as Record<string, unknown>;
    assert.equal(rejection.reason, 'Wrong order number');
    assert.equal(rejection.rejected_by, key?.actor_id);
    assert.ok(rejection.rejected_at);
    const again = await errorOf(await act(runtime, draft._id, 'reject'), 409);
    assert.equal(again.code, 'invalid_state');
    assert.equal(await deliverJob(runtime, draft._id), undefined);
  });

  test('rejecting the last draft of a case awaiting approval reopens it', async () => {
    const { conversation, draft } = await caseWithDraft(store());
    await store().conversations.moveWorkflow(
      'acme',
      conversation._id,
      conversation.workflow_status,
      {
        workflow_status: 'needs_approval',
      },
    );
    await okJson(await act(runtime, draft._id, 'reject'));
    const after = await store().conversations.get('acme', conversation._id);
    assert.equal(after?.workflow_status, 'open');
  });

  test('a reason is optional; a streaming draft can be rejected (its run stops)', async () => {
    const conversation = await createCase(store());
    const trigger = await customerEmail(store(), conversation);
    const { draft } = await createDraft(store(), trigger, { streaming: true });
    const json = await okJson(await act(runtime, draft._id, 'reject'));
    assert.equal(json.status, 'rejected');
    assert.equal(json.streaming_state, 'complete');
    assert.equal((json.rejection as { reason: unknown }).reason, null);
    // The agent worker's next save finds the draft gone.
    assert.equal(await store().drafts.saveBody(draft._id, 'more text'), false);
  });

  test('scheduled, sent and superseded messages cannot be rejected', async () => {
    const { draft: scheduled } = await scheduledDraft();
    assert.equal(
      (await errorOf(await act(runtime, scheduled._id, 'reject'), 409)).code,
      'invalid_state',
    );
    assert.equal((await message(store(), scheduled._id)).status, 'scheduled');
    for (const status of ['sent', 'superseded'] as const) {
      const { draft } = await caseWithDraft(store());
      await forceMessage(store(), draft._id, { status });
      const before = await message(store(), draft._id);
      assert.equal(
        (await errorOf(await act(runtime, draft._id, 'reject'), 409)).code,
        'invalid_state',
      );
      assert.deepEqual(await message(store(), draft._id), before);
    }
  });

  test('needs messaging:approve; validates the reason', async () => {
    const { draft } = await caseWithDraft(store());
    for (const key of [READER_KEY, WRITER_KEY]) {
      await errorOf(await act(runtime, draft._id, 'reject', {}, key), 403);
    }
    const error = await errorOf(await act(runtime, draft._id, 'reject', { reason: 42 }), 400);
    assert.match(error.message, /body\.reason/);
    assert.equal((await message(store(), draft._id)).status, 'draft');
  });
});

describe('cancel', () => {
  before(async () => {
    runtime = await startApprovalRuntime();
  });
  after(() => stopRuntime(runtime));

  test('a scheduled message is canceled and its job removed', async () => {
    const { draft } = await scheduledDraft();
    assert.ok(await deliverJob(runtime, draft._id), 'the job exists before');
    const json = await okJson(await act(runtime, draft._id, 'cancel', { reason: 'Sent by phone' }));
    assert.equal(json.status, 'canceled');
    const cancel = json.cancel as Record<string, unknown>;
    assert.equal(cancel.reason, 'Sent by phone');
    assert.ok(cancel.canceled_by);
    assert.equal(await deliverJob(runtime, draft._id), undefined, 'the job is gone');
    assert.equal(
      (await errorOf(await act(runtime, draft._id, 'cancel'), 409)).code,
      'invalid_state',
    );
    // A canceled message cannot be approved back either.
    assert.equal(
      (await errorOf(await act(runtime, draft._id, 'approve'), 409)).code,
      'invalid_state',
    );
  });

  test('a message posted for email delivery can be canceled with messaging:write', async () => {
    const conversation = await createCase(store());
    const posted = await runtime.request(
      `/v1/messaging/conversations/${conversation._id}/messages`,
      {
        method: 'POST',
        body: JSON.stringify({
          body: 'Dear Jane, ...',
          visibility: 'external',
          channel: 'email',
          scheduled_at: later(),
        }),
      },
    );
    assert.equal(posted.status, 201, await posted.clone().text());
    const { id } = (await posted.json()) as { id: string };
    await errorOf(await act(runtime, id, 'cancel', {}, READER_KEY), 403);
    const json = await okJson(await act(runtime, id, 'cancel', {}, WRITER_KEY));
    assert.equal(json.status, 'canceled');
    assert.equal(await deliverJob(runtime, id), undefined);
  });

  test('sent, failed and draft messages cannot be canceled; nor one being sent', async () => {
    for (const status of ['sent', 'failed'] as const) {
      const { draft } = await scheduledDraft();
      await forceMessage(store(), draft._id, { status });
      const before = await message(store(), draft._id);
      assert.equal(
        (await errorOf(await act(runtime, draft._id, 'cancel'), 409)).code,
        'invalid_state',
      );
      assert.deepEqual(await message(store(), draft._id), before);
    }
    const { draft } = await caseWithDraft(store());
    assert.equal(
      (await errorOf(await act(runtime, draft._id, 'cancel'), 409)).code,
      'invalid_state',
    );

    const { draft: sending } = await scheduledDraft();
    await forceMessage(store(), sending._id, { 'delivery.sending_at': new Date() });
    const error = await errorOf(await act(runtime, sending._id, 'cancel'), 409);
    assert.equal(error.code, 'delivery_in_progress');
    assert.equal((await message(store(), sending._id)).status, 'scheduled');
    // Nor edited: what goes out is already decided.
    const edit = await errorOf(
      await act(runtime, sending._id, 'approve', { body: 'changed' }),
      409,
    );
    assert.equal(edit.code, 'delivery_in_progress');
  });
});

describe('cancel on customer reply', () => {
  before(async () => {
    runtime = await startApprovalRuntime();
  });
  after(() => stopRuntime(runtime));

  test('scheduled replies are canceled with a note; sending, later-approved and drafts stay', async () => {
    const { conversation, draft: scheduled } = await scheduledDraft('Dear Jane, it ships today.');
    const conversationStore = store();
    // A second scheduled reply of the same case, being sent right now.
    const sendingTrigger = await customerEmail(conversationStore, conversation, 'Hello?');
    const { draft: sending } = await createDraft(conversationStore, sendingTrigger);
    await okJson(
      await act(runtime, sending._id, 'approve', { scheduled_at: later(), allow_stale: true }),
    );
    await forceMessage(conversationStore, sending._id, { 'delivery.sending_at': new Date() });

    const inbound = await customerEmail(
      conversationStore,
      conversation,
      'Actually, cancel my order.',
    );
    // Approved after the customer's message was stored: whoever approved it could see it.
    const { draft: afterwards } = await createDraft(conversationStore, inbound);
    await okJson(await act(runtime, afterwards._id, 'approve', { scheduled_at: later() }));

    const events: RealtimeEvent[] = [];
    const deps = {
      store: conversationStore,
      queues: runtime.context.queues,
      logger: runtime.context.logger,
      publisher: { publish: async (event: RealtimeEvent) => void events.push(event) },
    };
    const canceled = await cancelScheduledOnCustomerReply(deps, inbound);
    assert.deepEqual(canceled, [scheduled._id]);

    const stored = await message(conversationStore, scheduled._id);
    assert.equal(stored.status, 'canceled');
    assert.equal(stored.cancel?.reason, CANCELED_ON_REPLY_REASON);
    assert.equal(stored.cancel?.canceled_by, null);
    assert.equal(await deliverJob(runtime, scheduled._id), undefined);
    assert.equal((await message(conversationStore, sending._id)).status, 'scheduled');
    assert.equal((await message(conversationStore, afterwards._id)).status, 'scheduled');
    assert.ok(await deliverJob(runtime, afterwards._id));

    const notes = await conversationStore.messages.listForConversation('acme', conversation._id, {
      status: ['sent'],
    });
    const note = notes.items.find((m) => m.kind === 'system_event');
    assert.ok(note, 'an internal note says why');
    assert.equal(note.visibility, 'internal');
    assert.equal(note.reply_to_id, scheduled._id);
    assert.match(note.body ?? '', /customer wrote again/);
    assert.ok(events.some((e) => e.type === 'message.updated'));
    assert.ok(events.some((e) => e.type === 'conversation.updated'));

    // A replayed ingest changes nothing more.
    assert.deepEqual(await cancelScheduledOnCustomerReply(deps, inbound), []);
    const again = await conversationStore.messages.listForConversation('acme', conversation._id, {
      status: ['sent'],
    });
    assert.equal(again.items.filter((m) => m.kind === 'system_event').length, 1);
  });

  test('auto-replies do not cancel anything', async () => {
    const { conversation, draft } = await scheduledDraft();
    const autoReply = await customerEmail(store(), conversation, 'Out of office', {
      auto_submitted: true,
    });
    const deps = { store: store(), queues: runtime.context.queues, logger: runtime.context.logger };
    assert.deepEqual(await cancelScheduledOnCustomerReply(deps, autoReply), []);
    assert.equal((await message(store(), draft._id)).status, 'scheduled');
  });
});

describe('cancel on customer reply, turned off for the mailbox', () => {
  before(async () => {
    runtime = await startApprovalRuntime('api', { cancelOnReply: false });
  });
  after(() => stopRuntime(runtime));

  test('nothing is canceled', async () => {
    const { conversation, draft } = await scheduledDraft();
    const inbound = await customerEmail(store(), conversation, 'One more thing');
    const deps = { store: store(), queues: runtime.context.queues, logger: runtime.context.logger };
    assert.deepEqual(await cancelScheduledOnCustomerReply(deps, inbound), []);
    assert.equal((await message(store(), draft._id)).status, 'scheduled');
    assert.ok(await deliverJob(runtime, draft._id));
  });
});
