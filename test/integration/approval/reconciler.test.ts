// The reconciler against real Redis and MongoDB: lost delivery jobs, sends
// interrupted by a crash, drafts and runs a dead worker left behind, and
// several reconcilers at once. The runtime runs the api role only, so nothing
// consumes the jobs the tests look at; passes are run by hand.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  createReconciler,
  type ReconcileReport,
  type ReconcilerOptions,
} from '../../../src/maintenance/reconciler.ts';
import { JOBS } from '../../../src/queues/catalog.ts';
import type { AgentRunRecord, MessageRecord } from '../../../src/store/index.ts';
import { testRedisUrl } from '../../support/env.ts';
import { dropRedisPrefix, type TestRuntime } from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';
import {
  act,
  caseWithDraft,
  createCase,
  createDraft,
  customerEmail,
  deliverJob,
  forceMessage,
  forceRun,
  message,
  okJson,
  startApprovalRuntime,
  stopRuntime,
} from './helpers.ts';

let runtime: TestRuntime;
const store = () => runtime.context.store;
const MINUTE = 60_000;

function reconciler(options: Partial<ReconcilerOptions> = {}) {
  const { context } = runtime;
  return createReconciler(
    {
      store: context.store,
      queues: context.queues,
      redis: context.redis,
      prefix: runtime.prefix,
      logger: context.logger,
    },
    { settleMs: 0, ...options },
  );
}

async function approvedFor(scheduledAt: Date): Promise<MessageRecord> {
  const { draft } = await caseWithDraft(store());
  await okJson(
    await act(runtime, draft._id, 'approve', { scheduled_at: scheduledAt.toISOString() }),
  );
  return message(store(), draft._id);
}

function runJobId(run: AgentRunRecord): string {
  return JOBS['agent.run'].id({
    account_id: run.account_id,
    conversation_id: run.conversation_id,
    agent_id: run.agent_id,
    trigger_message_id: run.trigger_message_id,
  });
}

async function alertsOf(conversationId: string): Promise<MessageRecord[]> {
  const page = await store().messages.listForConversation('acme', conversationId, {
    status: ['sent'],
  });
  return page.items.filter((m) => m.kind === 'alert');
}

/** A streaming draft whose run is running, last heard of `ageMs` ago. */
async function stuckRun(ageMs: number) {
  const conversation = await createCase(store());
  const trigger = await customerEmail(store(), conversation);
  const { draft, run } = await createDraft(store(), trigger, { streaming: true });
  await store().agentRuns.start(run._id, 'template');
  await store().agentRuns.linkDraft(run._id, draft._id, new Date());
  const old = new Date(Date.now() - ageMs);
  await forceRun(store(), run._id, { updated_at: old });
  await forceMessage(store(), draft._id, { updated_at: old });
  return { conversation, draft, run };
}

describe('reconciler', () => {
  before(async () => {
    runtime = await startApprovalRuntime();
  });
  after(() => stopRuntime(runtime));

  test('Redis flushed while 20 messages are scheduled: one pass re-enqueues all 20', async () => {
    const due = new Date(Date.now() + 3_600_000);
    const messages = await Promise.all(Array.from({ length: 20 }, () => approvedFor(due)));
    for (const m of messages) assert.ok(await deliverJob(runtime, m._id));

    // Only this test's prefix: the Redis server is shared.
    await dropRedisPrefix(runtime.prefix);
    for (const m of messages) assert.equal(await deliverJob(runtime, m._id), undefined);

    const report = await reconciler().runPass();
    assert.equal(report.ran, true);
    assert.equal(report.deliveries.enqueued, 20);
    assert.equal(report.deliveries.interrupted, 0);
    assert.equal(report.errors, 0);
    for (const m of messages) {
      const job = await deliverJob(runtime, m._id);
      assert.ok(job, `job of ${m._id}`);
      assert.equal(await job.getState(), 'delayed');
      assert.ok(Math.abs(job.timestamp + job.delay - due.getTime()) < 2_000, 'still due then');
    }

    const second = await reconciler().runPass();
    assert.equal(second.deliveries.enqueued, 0, 'nothing left to repair');
    assert.ok(second.deliveries.checked >= 20);
  });

  test('recently changed messages are left to the request that changed them', async () => {
    const fresh = await approvedFor(new Date(Date.now() + 3_600_000));
    await dropRedisPrefix(runtime.prefix);
    const report = await reconciler({ settleMs: MINUTE }).runPass();
    assert.equal(report.deliveries.enqueued, 0);
    assert.equal(await deliverJob(runtime, fresh._id), undefined);
    await reconciler().runPass();
    assert.ok(await deliverJob(runtime, fresh._id));
  });

  test('a job that finished while the message is still scheduled is replaced', async () => {
    const m = await approvedFor(new Date());
    // A worker that "delivers" without recording it, as a crash right after sending would.
    const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    const worker = new Worker('message.deliver', async () => undefined, {
      connection,
      prefix: runtime.prefix,
    });
    try {
      await waitUntil(
        async () => (await (await deliverJob(runtime, m._id))?.getState()) === 'completed',
        {
          what: 'the job to complete',
        },
      );
    } finally {
      await worker.close();
      connection.disconnect();
    }
    const report = await reconciler().runPass();
    assert.equal(report.deliveries.enqueued, 1);
    const state = await (await deliverJob(runtime, m._id))?.getState();
    assert.ok(state === 'waiting' || state === 'delayed', `state ${state}`);
  });

  test('a send interrupted by a crash is resumed; one just begun is left alone', async () => {
    const interrupted = await approvedFor(new Date());
    const recent = await approvedFor(new Date());
    await forceMessage(store(), interrupted._id, {
      'delivery.sending_at': new Date(Date.now() - 5 * MINUTE),
      updated_at: new Date(Date.now() - 5 * MINUTE),
    });
    await forceMessage(store(), recent._id, {
      'delivery.sending_at': new Date(Date.now() - 10_000),
    });
    const queue = runtime.context.queues.queue('message.deliver');
    await queue.remove(`deliver-${interrupted._id}`);
    await queue.remove(`deliver-${recent._id}`);

    const report = await reconciler().runPass();
    assert.equal(report.deliveries.enqueued, 1);
    assert.equal(report.deliveries.interrupted, 1);
    assert.ok(await deliverJob(runtime, interrupted._id));
    assert.equal(await deliverJob(runtime, recent._id), undefined);
  });

  test('streaming drafts whose run is over are ended: rejected, or superseded if canceled', async () => {
    const made = [];
    for (let i = 0; i < 3; i++) {
      const conversation = await createCase(store());
      const trigger = await customerEmail(store(), conversation);
      made.push(await createDraft(store(), trigger, { streaming: true }));
    }
    const [failed, canceled, orphan] = made as [
      (typeof made)[0],
      (typeof made)[0],
      (typeof made)[0],
    ];
    await store().agentRuns.end(failed.run._id, 'failed', { code: 'x', message: 'model exploded' });
    await store().agentRuns.end(canceled.run._id, 'canceled', {
      code: 'superseded_by_new_message',
      message: 'the customer wrote again',
    });
    await forceMessage(store(), orphan.draft._id, { agent_run_id: 'run_gone' });
    await store().agentRuns.end(orphan.run._id, 'canceled', { code: 'x', message: 'x' });

    const report = await reconciler().runPass();
    assert.ok(report.agent_runs.drafts_ended >= 3);
    const afterFailed = await message(store(), failed.draft._id);
    assert.equal(afterFailed.status, 'rejected');
    assert.equal(afterFailed.streaming_state, 'complete');
    assert.equal(afterFailed.rejection?.reason, 'model exploded');
    assert.equal((await message(store(), canceled.draft._id)).status, 'superseded');
    const afterOrphan = await message(store(), orphan.draft._id);
    assert.equal(afterOrphan.status, 'rejected');
    assert.match(afterOrphan.rejection?.reason ?? '', /gone/);
  });

  test('a run stuck running for over 10 minutes is failed, its draft rejected, the team alerted', async () => {
    const { conversation, draft, run } = await stuckRun(11 * MINUTE);
    const report = await reconciler().runPass();
    assert.ok(report.agent_runs.failed >= 1);
    const after = await store().agentRuns.get('acme', run._id);
    assert.equal(after?.status, 'failed');
    assert.equal(after?.error?.code, 'run_stalled');
    const afterDraft = await message(store(), draft._id);
    assert.equal(afterDraft.status, 'rejected');
    assert.match(afterDraft.rejection?.reason ?? '', /no progress/);
    const alerts = await alertsOf(conversation._id);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.visibility, 'internal');
    assert.match(alerts[0]?.body ?? '', /Drafter could not draft a reply/);
  });

  test('a run waiting for a retry is not stuck; a young one whose job vanished is re-enqueued', async () => {
    const waiting = await stuckRun(11 * MINUTE);
    await runtime.context.queues.enqueue(
      'agent.run',
      {
        account_id: 'acme',
        conversation_id: waiting.run.conversation_id,
        agent_id: waiting.run.agent_id,
        trigger_message_id: waiting.run.trigger_message_id,
      },
      { delayMs: 10 * MINUTE },
    );
    const conversation = await createCase(store());
    const trigger = await customerEmail(store(), conversation);
    const { draft: liveDraft, run: queued } = await createDraft(store(), trigger, {
      streaming: true,
    });

    const report = await reconciler().runPass();
    assert.ok(report.agent_runs.enqueued >= 1);
    assert.equal((await store().agentRuns.get('acme', waiting.run._id))?.status, 'running');
    assert.equal((await message(store(), waiting.draft._id)).status, 'draft');
    const job = await runtime.context.queues.queue('agent.run').getJob(runJobId(queued));
    assert.ok(job, 'the queued run has its job again');
    assert.equal((await message(store(), liveDraft._id)).streaming_state, 'streaming');
  });

  test('a live run whose job finished without an outcome is failed once', async () => {
    const { run } = await stuckRun(0);
    await runtime.context.queues.enqueue('agent.run', {
      account_id: 'acme',
      conversation_id: run.conversation_id,
      agent_id: run.agent_id,
      trigger_message_id: run.trigger_message_id,
    });
    const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    const worker = new Worker(
      'agent.run',
      async () => {
        throw new UnrecoverableError('worker crashed');
      },
      { connection, prefix: runtime.prefix },
    );
    try {
      await waitUntil(
        async () =>
          (await runtime.context.queues.queue('agent.run').getJobState(runJobId(run))) === 'failed',
        { what: 'the run job to fail' },
      );
    } finally {
      await worker.close();
      connection.disconnect();
    }
    await reconciler().runPass();
    const after = await store().agentRuns.get('acme', run._id);
    assert.equal(after?.status, 'failed');
    assert.equal(after?.error?.code, 'run_lost');
  });

  test('a queued run whose job finished is enqueued again, not taken as done', async () => {
    const conversation = await createCase(store());
    const trigger = await customerEmail(store(), conversation);
    const { run } = await createDraft(store(), trigger, { streaming: true });
    await forceRun(store(), run._id, { status: 'queued' });
    const payload = {
      account_id: 'acme',
      conversation_id: run.conversation_id,
      agent_id: run.agent_id,
      trigger_message_id: run.trigger_message_id,
    };
    await runtime.context.queues.enqueue('agent.run', payload);
    const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    const worker = new Worker('agent.run', async () => undefined, {
      connection,
      prefix: runtime.prefix,
    });
    try {
      await waitUntil(
        async () =>
          (await runtime.context.queues.queue('agent.run').getJobState(runJobId(run))) ===
          'completed',
        { what: 'the run job to complete' },
      );
    } finally {
      await worker.close();
      connection.disconnect();
    }
    const report = await reconciler().runPass();
    assert.ok(report.agent_runs.enqueued >= 1);
    assert.equal((await store().agentRuns.get('acme', run._id))?.status, 'queued');
    assert.equal(
      await runtime.context.queues.queue('agent.run').getJobState(runJobId(run)),
      'waiting',
    );
  });

  test('two reconcilers at once (no lock) repair everything exactly once', async () => {
    // Settle what earlier tests left (e.g. the run whose retry is pending), for exact counts.
    await dropRedisPrefix(runtime.prefix);
    await reconciler().runPass();
    const due = new Date(Date.now() + 3_600_000);
    const messages = await Promise.all(Array.from({ length: 10 }, () => approvedFor(due)));
    const stuck = await stuckRun(11 * MINUTE);
    await dropRedisPrefix(runtime.prefix);

    const [a, b] = await Promise.all([
      reconciler({ lock: false }).runPass(),
      reconciler({ lock: false }).runPass(),
    ]);
    const jobs = await runtime.context.queues.queue('message.deliver').getJobs();
    for (const m of messages) {
      assert.equal(jobs.filter((job) => job.data.message_id === m._id).length, 1, m._id);
    }
    assert.equal((a as ReconcileReport).errors + (b as ReconcileReport).errors, 0);
    assert.equal(a.agent_runs.failed + b.agent_runs.failed, 1, 'the stuck run is failed once');
    assert.equal((await alertsOf(stuck.conversation._id)).length, 1, 'one alert');
    assert.equal((await message(store(), stuck.draft._id)).status, 'rejected');
  });

  test('with the lock, concurrent passes take turns: one runs, the other skips', async () => {
    const reports = await Promise.all([reconciler().runPass(), reconciler().runPass()]);
    assert.deepEqual(reports.map((r) => r.ran).sort(), [false, true]);
    // Released at the end of the pass.
    assert.equal((await reconciler().runPass()).ran, true);
  });
});

describe('maintenance role', () => {
  let maintained: TestRuntime;
  before(async () => {
    maintained = await startApprovalRuntime('api,maintenance');
  });
  after(() => stopRuntime(maintained));

  test('runs a first pass shortly after start and re-enqueues what Redis lacks', async () => {
    const conversation = await maintained.context.store.conversations.create({
      account_id: 'acme',
      type: 'group',
      audience: 'customer',
      workflow_status: 'open',
      title: 'Refund',
      mailbox_id: 'support',
    });
    const scheduled = await maintained.context.store.messages.insert({
      account_id: 'acme',
      conversation_id: conversation._id,
      kind: 'chat',
      status: 'scheduled',
      visibility: 'external',
      channel: 'email',
      body: 'Your refund is on its way.',
      subject: 'Re: Refund',
      mailbox_id: 'support',
      scheduled_at: new Date(Date.now() + 3_600_000),
    });
    // Older than the settle time, as if written before a crash.
    await forceMessage(maintained.context.store, scheduled._id, {
      updated_at: new Date(Date.now() - MINUTE),
    });
    await waitUntil(() => deliverJob(maintained, scheduled._id), {
      what: 'the maintenance role to enqueue the job',
      timeoutMs: 15_000,
    });
  });
});
