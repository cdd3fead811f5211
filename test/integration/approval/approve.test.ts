// POST /v1/messaging/messages/{id}/actions/approve through the real runtime
// (api role only: the delivery jobs it enqueues stay in Redis to be looked at).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { approveMessage } from '../../../src/approval/approve.ts';
import type { ApprovalDeps } from '../../../src/approval/deps.ts';
import { ApprovalError } from '../../../src/approval/errors.ts';
import type { MessageRecord, Store } from '../../../src/store/index.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import {
  GLOBEX_KEY,
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
  internalNote,
  message,
  okJson,
  startApprovalRuntime,
  stopRuntime,
} from './helpers.ts';

let runtime: TestRuntime;
const store = () => runtime.context.store;

describe('approve', () => {
  before(async () => {
    runtime = await startApprovalRuntime();
  });
  after(() => stopRuntime(runtime));

  test('a draft becomes scheduled now, approved by the key, with a delivery job', async () => {
    const { draft } = await caseWithDraft(store());
    const startedAt = Date.now();
    const json = await okJson(await act(runtime, draft._id, 'approve'));
    assert.equal(json.id, draft._id);
    assert.equal(json.object, 'chat_message');
    assert.equal(json.status, 'scheduled');
    assert.equal(json.body, draft.body);
    assert.equal(json.sequence, null);
    const at = Date.parse(json.scheduled_at as string);
    assert.ok(at >= startedAt - 5 && at <= Date.now() + 5, 'scheduled now');

    const key = await store().apiKeys.findByToken('pk_test_runtime_key_0001');
    const approval = json.approval as Record<string, unknown>;
    assert.equal(approval.approved_by, key?.actor_id);
    assert.equal(approval.edit_distance, 0);

    const stored = await message(store(), draft._id);
    assert.equal(stored.status, 'scheduled');
    assert.equal(stored.approval?.original_body, draft.body);
    assert.equal(stored.approval?.original_subject, draft.subject);
    assert.equal(stored.edited_at, null);
    assert.equal(stored.delivery?.attempts, 0);

    const job = await deliverJob(runtime, draft._id);
    assert.ok(job, 'a delivery job exists');
    assert.deepEqual(job.data, { account_id: 'acme', message_id: draft._id });
  });

  test('edits are kept: body, subject, edit distance and the original', async () => {
    const original = 'Dear Jane, your parcel ships today.';
    const { draft } = await caseWithDraft(store(), original);
    // Ten characters appended (" Best, Ann"): an edit distance of 10.
    const edited = `${original} Best, Ann`;
    const json = await okJson(
      await act(runtime, draft._id, 'approve', { body: edited, subject: '  Your parcel  ' }),
    );
    assert.equal(json.body, edited);
    assert.equal(json.subject, 'Your parcel');
    const stored = await message(store(), draft._id);
    assert.equal(stored.body, edited);
    assert.equal(stored.subject, 'Your parcel');
    assert.equal(stored.approval?.edit_distance, 10);
    assert.equal(stored.approval?.original_body, original);
    assert.equal(stored.approval?.original_subject, 'Re: Where is my order?');
    assert.ok(stored.edited_at, 'edited_at is set');
  });

  test('a future scheduled_at delays the job; a past one means now', async () => {
    const { draft } = await caseWithDraft(store());
    const later = new Date(Date.now() + 3_600_000);
    const json = await okJson(
      await act(runtime, draft._id, 'approve', { scheduled_at: later.toISOString() }),
    );
    assert.equal(json.scheduled_at, later.toISOString());
    const job = await deliverJob(runtime, draft._id);
    assert.equal(await job?.getState(), 'delayed');
    assert.ok(Math.abs((job?.timestamp ?? 0) + (job?.delay ?? 0) - later.getTime()) < 2_000);

    const { draft: other } = await caseWithDraft(store());
    const before = Date.now();
    const past = await okJson(
      await act(runtime, other._id, 'approve', { scheduled_at: '2001-01-01T00:00:00Z' }),
    );
    assert.ok(Date.parse(past.scheduled_at as string) >= before - 5, 'a past time means now');
  });

  test('re-approving a scheduled message with a new time moves its job', async () => {
    const { draft } = await caseWithDraft(store(), 'Dear Jane, soon.');
    const first = new Date(Date.now() + 3_600_000);
    await okJson(await act(runtime, draft._id, 'approve', { scheduled_at: first.toISOString() }));
    const second = new Date(Date.now() + 7_200_000);
    const json = await okJson(
      await act(runtime, draft._id, 'approve', {
        scheduled_at: second.toISOString(),
        body: 'Dear Jane, later.',
      }),
    );
    assert.equal(json.status, 'scheduled');
    assert.equal(json.scheduled_at, second.toISOString());
    const job = await deliverJob(runtime, draft._id);
    assert.equal(await job?.getState(), 'delayed');
    const due = (job?.timestamp ?? 0) + (job?.delay ?? 0);
    assert.ok(Math.abs(due - second.getTime()) < 2_000, `due ${new Date(due).toISOString()}`);
    // The distance is measured from what the agent wrote, not from the last edit:
    // "soon" → "later" shares no letter, so 4 substitutions and 1 insertion.
    const stored = await message(store(), draft._id);
    assert.equal(stored.approval?.original_body, 'Dear Jane, soon.');
    assert.equal(stored.approval?.edit_distance, 5);

    // Without a new time, an edit keeps the time already set.
    const kept = await okJson(await act(runtime, draft._id, 'approve', { body: 'Dear Jane, ok.' }));
    assert.equal(kept.scheduled_at, second.toISOString());
  });

  test('re-approving for "now" makes a message scheduled for later due at once', async () => {
    const { draft } = await caseWithDraft(store());
    await okJson(await act(runtime, draft._id, 'approve', { scheduled_at: farFuture() }));
    const before = Date.now();
    const json = await okJson(
      await act(runtime, draft._id, 'approve', { scheduled_at: new Date().toISOString() }),
    );
    assert.ok(Date.parse(json.scheduled_at as string) <= Date.now());
    const stored = await message(store(), draft._id);
    assert.ok((stored.delivery?.next_attempt_at?.getTime() ?? Infinity) <= Date.now());
    assert.ok((stored.delivery?.next_attempt_at?.getTime() ?? 0) >= before - 5);
    const job = await deliverJob(runtime, draft._id);
    assert.ok(['waiting', 'delayed'].includes((await job?.getState()) ?? ''));
    assert.ok((job?.timestamp ?? 0) + (job?.delay ?? 0) <= Date.now() + 50, 'due now');
  });

  test('superseded, rejected, sent, failed and canceled messages answer 409 and do not change', async () => {
    for (const status of ['superseded', 'rejected', 'sent', 'failed', 'canceled'] as const) {
      const { draft } = await caseWithDraft(store());
      await forceMessage(store(), draft._id, {
        status,
        ...(status === 'sent' ? { sequence: 99 } : {}),
      });
      const before = await message(store(), draft._id);
      const error = await errorOf(await act(runtime, draft._id, 'approve', { body: 'x y z' }), 409);
      assert.equal(error.code, 'invalid_state', status);
      assert.match(error.message, new RegExp(status));
      assert.deepEqual(await message(store(), draft._id), before, `${status} is unchanged`);
      assert.equal(await deliverJob(runtime, draft._id), undefined);
    }
  });

  test('a draft still streaming answers 409 draft_streaming', async () => {
    const conversation = await createCase(store());
    const trigger = await customerEmail(store(), conversation);
    const { draft } = await createDraft(store(), trigger, { streaming: true });
    const error = await errorOf(await act(runtime, draft._id, 'approve'), 409);
    assert.equal(error.code, 'draft_streaming');
    assert.equal((await message(store(), draft._id)).status, 'draft');
  });

  test('a newer customer message makes the draft stale unless allow_stale', async () => {
    const { conversation, draft } = await caseWithDraft(store());
    // A teammate's note after the trigger is not the customer writing again.
    await internalNote(store(), conversation);
    await okJson(await act(runtime, draft._id, 'approve', { scheduled_at: farFuture() }));

    const { conversation: other, draft: stale } = await caseWithDraft(store());
    // Nor is an auto-reply.
    await customerEmail(store(), other, 'I am out of office', { auto_submitted: true });
    const newer = await customerEmail(store(), other, 'Also, can I change the address?');
    const error = await errorOf(await act(runtime, stale._id, 'approve'), 409);
    assert.equal(error.code, 'stale_draft');
    assert.match(error.message, new RegExp(newer._id));
    assert.equal((await message(store(), stale._id)).status, 'draft');

    const json = await okJson(await act(runtime, stale._id, 'approve', { allow_stale: true }));
    assert.equal(json.status, 'scheduled');
  });

  test('racing approvals of a draft: exactly one wins, the loser gets 409', async () => {
    const { draft } = await caseWithDraft(store());
    // Both approvals read the draft before either writes: hold every read at a barrier.
    let reads = 0;
    let release!: () => void;
    const barrier = new Promise<void>((resolve) => (release = resolve));
    const racingStore: Store = {
      ...store(),
      messages: {
        ...store().messages,
        async get(accountId: string, id: string) {
          const found = await store().messages.get(accountId, id);
          if (++reads === 2) release();
          await barrier;
          return found;
        },
      },
    };
    const deps: ApprovalDeps = {
      store: racingStore,
      queues: runtime.context.queues,
      publisher: { publish: async () => undefined },
      logger: runtime.context.logger,
    };
    const actor = { account_id: 'acme', actor_id: 'act_racer' };
    const results = await Promise.allSettled([
      approveMessage(deps, actor, draft._id, { body: 'Dear Jane, version A.' }),
      approveMessage(deps, actor, draft._id, { body: 'Dear Jane, version B.' }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    const error = (lost[0] as PromiseRejectedResult).reason as ApprovalError;
    assert.ok(error instanceof ApprovalError);
    assert.equal(error.kind, 'conflict');
    assert.equal(error.code, 'invalid_state');
    assert.match(error.message, /changed from draft to scheduled/);
    const winner = (won[0] as PromiseFulfilledResult<MessageRecord>).value;
    assert.equal((await message(store(), draft._id)).body, winner.body);
  });

  test('concurrent approvals over HTTP: one message, one job, no error other than 409', async () => {
    const { draft } = await caseWithDraft(store());
    const bodies = Array.from({ length: 6 }, (_, i) => `Dear Jane, version ${i}.`);
    const responses = await Promise.all(
      bodies.map((body) => act(runtime, draft._id, 'approve', { body })),
    );
    for (const response of responses) assert.ok([200, 409].includes(response.status));
    assert.ok(responses.some((r) => r.status === 200));
    const stored = await message(store(), draft._id);
    assert.equal(stored.status, 'scheduled');
    assert.ok(bodies.includes(stored.body ?? ''));
    // Every edit is measured against the agent's draft, whichever approval came last.
    assert.equal(stored.approval?.original_body, draft.body);
    const jobs = await runtime.context.queues.queue('message.deliver').getJobs();
    assert.equal(jobs.filter((job) => job.data.message_id === draft._id).length, 1);
  });

  test('an in-conversation (channel message) draft is scheduled too; it has no subject', async () => {
    const conversation = await createCase(store());
    const trigger = await customerEmail(store(), conversation);
    const { draft } = await createDraft(store(), trigger, { channel: 'message' });
    const error = await errorOf(await act(runtime, draft._id, 'approve', { subject: 'Hi' }), 422);
    assert.equal(error.code, 'not_an_email');
    const json = await okJson(await act(runtime, draft._id, 'approve'));
    assert.equal(json.status, 'scheduled');
    assert.equal(json.channel, 'message');
    assert.ok(await deliverJob(runtime, draft._id));
  });

  test('validation: 400 naming the field', async () => {
    const { draft } = await caseWithDraft(store());
    const cases: Array<[unknown, RegExp]> = [
      [{ subject: 'Hello\r\nBcc: all@example.test' }, /body\.subject.*line breaks/],
      [{ subject: 'Hello\nthere' }, /body\.subject/],
      [{ body: '   ' }, /body\.body.*blank/],
      [{ scheduled_at: 'tomorrow' }, /body\.scheduled_at/],
      [{ scheduled_at: '2030-01-01T10:00:00' }, /body\.scheduled_at/],
      [{ allow_stale: 'yes' }, /body\.allow_stale/],
      [{ sent_by: 'me' }, /body/],
    ];
    for (const [body, pattern] of cases) {
      const error = await errorOf(await act(runtime, draft._id, 'approve', body), 400);
      assert.match(error.message, pattern, JSON.stringify(body));
    }
    assert.equal((await message(store(), draft._id)).status, 'draft');
  });

  test('permissions and accounts: 403 without messaging:approve, 404 for another account', async () => {
    const { draft } = await caseWithDraft(store());
    for (const key of [READER_KEY, WRITER_KEY]) {
      const error = await errorOf(await act(runtime, draft._id, 'approve', {}, key), 403);
      assert.equal(error.code, 'missing_permission');
    }
    const missing = await errorOf(await act(runtime, draft._id, 'approve', {}, GLOBEX_KEY), 404);
    assert.equal(missing.code, 'resource_not_found');
    await errorOf(await act(runtime, 'msg_nope', 'approve'), 404);
    assert.equal((await message(store(), draft._id)).status, 'draft');
  });

  test('Idempotency-Key: a retried approval replays the first answer', async () => {
    const { draft } = await caseWithDraft(store());
    const send = () =>
      runtime.request(`/v1/messaging/messages/${draft._id}/actions/approve`, {
        method: 'POST',
        body: JSON.stringify({ body: 'Dear Jane, once.' }),
        headers: { 'idempotency-key': `approve-${draft._id}` },
      });
    const first = await okJson(await send());
    const again = await send();
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(((await again.json()) as { id: string }).id, first.id);
  });
});

function farFuture(): string {
  return new Date(Date.now() + 86_400_000).toISOString();
}
