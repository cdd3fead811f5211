// After a message is stored: decide which agents it wakes (rules/triggers.ts),
// record one run per (message, agent) and enqueue it. A customer's new message
// also aborts the drafts still streaming for older messages: they would answer
// a conversation that has moved on. Safe to call twice for one message.
import type { Logger } from '../platform/logger.ts';
import type { Queues } from '../queues/queues.ts';
import type { MessageRecord, Store } from '../store/index.ts';
import {
  agentsToTrigger,
  triggerMessageOf,
  triggerText,
  type AuthorType,
} from './rules/triggers.ts';

export interface DispatchDeps {
  store: Store;
  queues: Queues;
  logger: Logger;
  now?: () => Date;
}

export const HOUR_MS = 3_600_000;
// Used when the account record carries no setting (matches the bootstrap default).
// Regenerations count against the same cap (regenerate.ts).
export const DEFAULT_RUNS_PER_HOUR = 20;

export async function dispatchTriggers(
  deps: DispatchDeps,
  message: MessageRecord,
  authorType: AuthorType,
  options: {
    /**
     * The message was stored earlier (a replayed ingest, a resync): only the
     * conversation's newest message may still need its runs, so an old one
     * coming round again never wakes agents or aborts newer drafts.
     */
    replayed?: boolean;
  } = {},
): Promise<string[]> {
  const { store, queues } = deps;
  const now = deps.now?.() ?? new Date();
  const log = deps.logger.child({ conversation: message.conversation_id, message: message._id });
  const conversation = await store.conversations.get(message.account_id, message.conversation_id);
  if (!conversation) return [];
  if (options.replayed && conversation.last_message_id !== message._id) return [];

  const trigger = triggerMessageOf(message, authorType);
  const fromCustomer =
    authorType === 'customer' || (message.kind === 'email' && authorType === null);
  if (fromCustomer && !trigger.auto_submitted && message.status === 'sent') {
    await abortLiveRuns(store, message, log, now);
  }

  const agentIds = conversation.participants.flatMap((p) =>
    p.type === 'agent' && p.actor_id ? [p.actor_id] : [],
  );
  const agents = await store.agents.getMany(message.account_id, agentIds);
  const triggers = agentsToTrigger({
    message: trigger,
    text: triggerText(message),
    participants: conversation.participants,
    agents,
  });
  if (triggers.length === 0) return [];

  const account = await store.accounts.get(message.account_id);
  const cap = account?.settings?.agent_runs_per_conversation_per_hour ?? DEFAULT_RUNS_PER_HOUR;
  const enqueued: string[] = [];
  for (const t of triggers) {
    const started = await store.agentRuns.countStartedSince(
      conversation._id,
      new Date(now.getTime() - HOUR_MS),
    );
    const capped = started >= cap;
    const { run, created } = await store.agentRuns.create(
      {
        account_id: message.account_id,
        conversation_id: conversation._id,
        agent_id: t.agent_id,
        trigger_message_id: message._id,
        status: capped ? 'capped' : 'queued',
        error: capped
          ? {
              code: 'run_cap_reached',
              message: `this conversation already started ${started} agent runs in the last hour (cap ${cap})`,
            }
          : null,
      },
      now,
    );
    if (run.status === 'capped') {
      if (created)
        log.warn({ agent: t.agent_id, cap }, 'agent run not started: hourly cap reached');
      continue;
    }
    // Enqueue even when the run existed: a replayed trigger re-enqueues a run
    // whose job was lost; the deterministic job id makes it one job.
    if (run.status === 'queued' || run.status === 'running') {
      await queues.enqueue('agent.run', {
        account_id: message.account_id,
        conversation_id: conversation._id,
        agent_id: t.agent_id,
        trigger_message_id: message._id,
      });
      enqueued.push(run._id);
      if (created)
        log.info({ agent: t.agent_id, run: run._id, reason: t.reason }, 'agent run queued');
    }
  }
  return enqueued;
}

async function abortLiveRuns(
  store: Store,
  message: MessageRecord,
  log: Logger,
  now: Date,
): Promise<void> {
  for (const run of await store.agentRuns.listLive(message.conversation_id)) {
    // Only runs answering an older message (ids are time-ordered ObjectIds).
    if (run.trigger_message_id >= message._id) continue;
    const ended = await store.agentRuns.end(
      run._id,
      'canceled',
      {
        code: 'superseded_by_new_message',
        message: `the customer wrote again (message ${message._id})`,
      },
      now,
    );
    if (run.draft_message_id)
      await store.drafts.end(run.draft_message_id, 'superseded', 'the customer wrote again', now);
    if (ended) log.info({ run: run._id }, 'agent run aborted: the customer wrote again');
  }
}
