// Agent runs and their drafts that a crash left half done:
// - a queued or running run whose job Redis lost is enqueued again (the job
//   id comes from the trigger and the agent, so it is one job however often);
// - a queued run whose job finished (a job left from before a restore) is
//   enqueued again: Redis's memory of a job never stands in for the record;
// - a running run whose job finished without recording an outcome, or that has been
//   running with no progress for too long, is failed: its streaming draft is
//   rejected and the team gets an alert, as when a run fails for good;
// - a draft still "streaming" whose run is over (or gone) is ended: superseded
//   when the run was canceled (a newer message made it moot), else rejected.
// Every write is conditional (live run, streaming draft), so concurrent
// reconcilers and late workers cannot double an effect.
import { AGENT_RUN_LIFECYCLE } from '../conversations/agent-run-lifecycle.ts';
import { postRunAlert } from '../agents/run-alert.ts';
import { JOBS } from '../queues/catalog.ts';
import type { AgentRunRecord, MessageRecord } from '../store/index.ts';
import { jobPresence } from './job-state.ts';
import type { PassContext } from './pass-context.ts';

export interface AgentRunCounts {
  checked: number;
  enqueued: number;
  failed: number;
  drafts_ended: number;
}

export async function reconcileAgentRuns(pass: PassContext): Promise<AgentRunCounts> {
  const counts: AgentRunCounts = { checked: 0, enqueued: 0, failed: 0, drafts_ended: 0 };
  const settledBefore = new Date(pass.now.getTime() - pass.options.settleMs);
  let after: string | null = null;
  for (;;) {
    const page = await pass.store.reconcile.liveRuns(after, pass.options.batchSize, settledBefore);
    if (page.length === 0) break;
    after = page[page.length - 1]?._id ?? null;
    counts.checked += page.length;
    const outcomes = await Promise.all(page.map((r) => pass.guard(r._id, () => checkRun(pass, r))));
    for (const outcome of outcomes) {
      if (outcome === 'enqueued') counts.enqueued++;
      if (outcome === 'failed' || outcome === 'failed+draft') counts.failed++;
      if (outcome === 'failed+draft') counts.drafts_ended++;
    }
    if (page.length < pass.options.batchSize) break;
  }

  after = null;
  for (;;) {
    const page = await pass.store.reconcile.streamingDrafts(after, pass.options.batchSize);
    if (page.length === 0) break;
    after = page[page.length - 1]?._id ?? null;
    const outcomes = await Promise.all(
      page.map((d) => pass.guard(d._id, () => checkDraft(pass, d))),
    );
    counts.drafts_ended += outcomes.filter((o) => o === 'ended').length;
    if (page.length < pass.options.batchSize) break;
  }
  return counts;
}

async function checkRun(
  pass: PassContext,
  run: AgentRunRecord,
): Promise<'ok' | 'enqueued' | 'failed' | 'failed+draft'> {
  const queue = pass.queues.queue('agent.run');
  const payload = {
    account_id: run.account_id,
    conversation_id: run.conversation_id,
    agent_id: run.agent_id,
    trigger_message_id: run.trigger_message_id,
    ...(run.generation ? { generation: run.generation } : {}),
  };
  const presence = await jobPresence(queue, JOBS['agent.run'].id(payload));
  // Waiting for a retry, a free stream slot or a worker: not stuck, whatever its age.
  if (presence === 'pending') return 'ok';

  // Read again after looking at Redis: act only on a run that did not move meanwhile.
  const fresh = await pass.store.agentRuns.get(run.account_id, run._id);
  if (!fresh || AGENT_RUN_LIFECYCLE.isTerminal(fresh.status)) return 'ok';
  if (fresh.updated_at.getTime() !== run.updated_at.getTime()) return 'ok';
  const draft = fresh.draft_message_id
    ? await pass.store.messages.get(fresh.account_id, fresh.draft_message_id)
    : null;
  const lastProgress = Math.max(fresh.updated_at.getTime(), draft?.updated_at.getTime() ?? 0);
  const stuck =
    fresh.status === 'running' && lastProgress < pass.now.getTime() - pass.options.stuckRunAfterMs;

  if (stuck) {
    const minutes = Math.round(pass.options.stuckRunAfterMs / 60_000);
    return failRun(pass, fresh, {
      code: 'run_stalled',
      message: `the run made no progress for over ${minutes} minute${minutes === 1 ? '' : 's'}`,
    });
  }
  if (presence === 'active') return 'ok';
  // A run that never started whose job finished (a job kept from before a
  // restore, or a run recorded again): the job is not the run's outcome, the
  // record is; enqueue replaces the finished job.
  if (presence === 'finished' && fresh.status === 'running') {
    return failRun(pass, fresh, {
      code: 'run_lost',
      message: 'its job ended without recording an outcome (the worker crashed)',
    });
  }
  await pass.queues.enqueue('agent.run', payload);
  pass.log.info({ run: fresh._id, status: fresh.status }, 're-enqueued a lost agent run job');
  return 'enqueued';
}

/** End a live run as failed, its streaming draft rejected, and alert the team (once). */
async function failRun(
  pass: PassContext,
  run: AgentRunRecord,
  error: { code: string; message: string },
): Promise<'ok' | 'failed' | 'failed+draft'> {
  const { store, publisher } = pass;
  if (!(await store.agentRuns.end(run._id, 'failed', error, pass.now))) return 'ok';
  const draft = run.draft_message_id
    ? await store.reconcile.endStreamingDraft(
        run.draft_message_id,
        'rejected',
        error.message,
        pass.now,
      )
    : null;
  if (draft) {
    await publisher.publish({
      type: 'message.updated',
      conversation_id: draft.conversation_id,
      message_id: draft._id,
    });
  }
  const agent = await store.agents.get(run.account_id, run.agent_id);
  await postRunAlert(
    { store, publisher },
    {
      run_id: run._id,
      account_id: run.account_id,
      conversation_id: run.conversation_id,
      trigger_message_id: run.trigger_message_id,
    },
    `${agent?.name ?? 'The agent'} could not draft a reply: ${error.message}.`,
  );
  pass.log.warn(
    { run: run._id, draft: draft?._id, reason: error.code },
    'failed a stuck agent run',
  );
  return draft ? 'failed+draft' : 'failed';
}

/** A draft still streaming whose run is over or gone. Live runs are checkRun's. */
async function checkDraft(pass: PassContext, draft: MessageRecord): Promise<'ok' | 'ended'> {
  const run = draft.agent_run_id
    ? await pass.store.agentRuns.get(draft.account_id, draft.agent_run_id)
    : null;
  if (run && !AGENT_RUN_LIFECYCLE.isTerminal(run.status)) return 'ok';
  const [status, reason]: ['superseded' | 'rejected', string] =
    run?.status === 'canceled'
      ? ['superseded', run.error?.message ?? 'the agent run was canceled']
      : run?.status === 'failed'
        ? ['rejected', run.error?.message ?? 'the agent run failed']
        : run
          ? ['rejected', `the agent run ended (${run.status}) without finishing the draft`]
          : ['rejected', 'the agent run that wrote this draft is gone'];
  const ended = await pass.store.reconcile.endStreamingDraft(draft._id, status, reason, pass.now);
  if (!ended) return 'ok';
  await pass.publisher.publish({
    type: 'message.updated',
    conversation_id: ended.conversation_id,
    message_id: ended._id,
  });
  pass.log.info(
    { draft: ended._id, run: run?._id, status },
    'ended a draft its run left streaming',
  );
  return 'ended';
}
