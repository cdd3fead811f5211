// Regenerate: a human asks the conversation's agent for a new draft, after a
// run that failed for good or instead of a draft awaiting approval. The new
// run answers the same trigger as the agent's last run (a regeneration,
// numbered by `generation`), counts against the hourly run cap like any run,
// and the drafts still awaiting approval are superseded at once, with the
// reason, so nobody approves a draft the team has asked to replace.
//
// Order: checks → run recorded (queued) → old drafts superseded → job
// enqueued. A lost enqueue is repaired by the reconciler (it re-enqueues
// queued runs), so MongoDB is the record here too.
import { change, recordAudit } from '../audit/recorder.ts';
import type { Logger } from '../platform/logger.ts';
import type { Queues } from '../queues/queues.ts';
import type { Publisher } from '../realtime/events.ts';
import {
  UNIQUE_INDEX,
  isDuplicateKeyError,
  type AgentRunRecord,
  type ConversationRecord,
  type Store,
} from '../store/index.ts';
import { DEFAULT_RUNS_PER_HOUR, HOUR_MS } from './dispatch.ts';

export interface RegenerateDeps {
  store: Store;
  queues: Queues;
  publisher: Publisher;
  logger: Logger;
  now?: () => Date;
}

export type RegenerateErrorKind = 'not_found' | 'conflict' | 'unprocessable' | 'rate_limited';

export type RegenerateErrorCode =
  | 'resource_not_found'
  /** The agent named is not an active participant of the conversation. */
  | 'agent_not_in_conversation'
  /** Several agents take part and none was named. */
  | 'agent_required'
  /** The agent is paused or disabled. */
  | 'agent_inactive'
  /** The agent never ran here: there is no message its run answered. */
  | 'nothing_to_regenerate'
  /** The agent's last run is still queued or streaming. */
  | 'run_in_progress'
  /** The conversation used its hourly run cap. */
  | 'run_cap_reached';

export class RegenerateError extends Error {
  override readonly name = 'RegenerateError';
  constructor(
    readonly kind: RegenerateErrorKind,
    readonly code: RegenerateErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Regenerated {
  conversation: ConversationRecord;
  run: AgentRunRecord;
  /** The drafts the new run replaces. */
  superseded: string[];
}

export async function regenerateDraft(
  deps: RegenerateDeps,
  actor: { account_id: string; actor_id: string },
  conversationId: string,
  requestedAgentId: string | undefined,
): Promise<Regenerated> {
  const { store } = deps;
  const accountId = actor.account_id;
  const now = deps.now?.() ?? new Date();
  const conversation = await store.conversations.get(accountId, conversationId);
  if (!conversation) {
    throw new RegenerateError(
      'not_found',
      'resource_not_found',
      `no conversation with id "${conversationId}"`,
    );
  }
  const agentId = await chooseAgent(deps, conversation, requestedAgentId);
  const agent = await store.agents.get(accountId, agentId);
  if (!agent || agent.status !== 'active') {
    throw new RegenerateError(
      'conflict',
      'agent_inactive',
      `agent "${agentId}" is ${agent?.status ?? 'gone'}: activate it to regenerate`,
    );
  }
  const last = await store.agentRuns.latestInConversation(accountId, conversation._id, agentId);
  if (!last) {
    throw new RegenerateError(
      'conflict',
      'nothing_to_regenerate',
      `agent "${agentId}" has not run in this conversation: mention it in a note to start it`,
    );
  }
  if (last.status === 'queued' || last.status === 'running') {
    throw new RegenerateError(
      'conflict',
      'run_in_progress',
      `agent "${agentId}" is already writing a draft here (run "${last._id}"): wait for it`,
    );
  }

  const account = await store.accounts.get(accountId);
  const cap = account?.settings?.agent_runs_per_conversation_per_hour ?? DEFAULT_RUNS_PER_HOUR;
  const started = await store.agentRuns.countStartedSince(
    conversation._id,
    new Date(now.getTime() - HOUR_MS),
  );
  if (started >= cap) {
    throw new RegenerateError(
      'rate_limited',
      'run_cap_reached',
      `this conversation already started ${started} agent runs in the last hour (cap ${cap}): try again later`,
    );
  }

  const generation = (await store.agentRuns.lastGeneration(last.trigger_message_id, agentId)) + 1;
  let run: AgentRunRecord;
  try {
    const created = await store.agentRuns.create(
      {
        account_id: accountId,
        conversation_id: conversation._id,
        agent_id: agentId,
        trigger_message_id: last.trigger_message_id,
        status: 'queued',
        generation,
      },
      now,
    );
    // Another request took this generation between our read and our write.
    if (!created.created) throw raced(agentId);
    run = created.run;
  } catch (error) {
    if (isDuplicateKeyError(error, UNIQUE_INDEX.agentRunTrigger)) throw raced(agentId);
    throw error;
  }

  const superseded = await store.drafts.supersedePending(accountId, conversation._id, {
    reason: `a new draft was requested (regenerate, run ${run._id})`,
    superseded_by: actor.actor_id,
    superseded_at: now,
    agent_run_id: run._id,
  });
  // One entry for the request: the run it replaces, the new one, and how many
  // drafts awaiting approval it discarded (each draft keeps its supersession).
  await recordAudit(
    store,
    deps.logger,
    {
      account_id: accountId,
      conversation_id: conversation._id,
      kind: 'draft_regenerated',
      actor_id: actor.actor_id,
      message_id: null,
      changes: [
        change('agent_id', null, agentId),
        change('agent_run_id', last._id, run._id),
        change('superseded_drafts', null, superseded.length),
      ],
    },
    now,
  );
  const log = deps.logger.child({ conversation: conversation._id, agent: agentId, run: run._id });
  try {
    await deps.queues.enqueue('agent.run', {
      account_id: accountId,
      conversation_id: conversation._id,
      agent_id: agentId,
      trigger_message_id: run.trigger_message_id,
      generation,
    });
  } catch (error) {
    // The run is recorded queued: the reconciler enqueues it on its next pass.
    log.error({ err: error }, 'regeneration recorded, but its job could not be enqueued yet');
  }
  for (const id of superseded) {
    await deps.publisher.publish({
      type: 'message.updated',
      conversation_id: conversation._id,
      message_id: id,
    });
  }
  await deps.publisher.publish({ type: 'conversation.updated', conversation_id: conversation._id });
  log.info(
    { by: actor.actor_id, generation, superseded, after: last.status },
    'draft regeneration queued',
  );
  return { conversation, run, superseded };
}

/**
 * The agent to run: the one named (an active participant), else the agent of
 * the conversation's last run, else its only agent participant.
 */
async function chooseAgent(
  { store }: RegenerateDeps,
  conversation: ConversationRecord,
  requested: string | undefined,
): Promise<string> {
  const agents = conversation.participants.flatMap((p) =>
    p.type === 'agent' && p.membership === 'active' && p.actor_id ? [p.actor_id] : [],
  );
  if (requested !== undefined) {
    if (agents.includes(requested)) return requested;
    throw new RegenerateError(
      'unprocessable',
      'agent_not_in_conversation',
      `body.agent_id: agent "${requested}" is not an active participant of conversation "${conversation._id}"`,
    );
  }
  const last = await store.agentRuns.latestInConversation(
    conversation.account_id,
    conversation._id,
  );
  if (last && agents.includes(last.agent_id)) return last.agent_id;
  const [only, ...others] = agents;
  if (only && others.length === 0) return only;
  throw new RegenerateError(
    'unprocessable',
    only ? 'agent_required' : 'agent_not_in_conversation',
    only
      ? `body.agent_id: conversation "${conversation._id}" has ${agents.length} agents: name the one to run`
      : `conversation "${conversation._id}" has no active agent participant to regenerate with`,
  );
}

function raced(agentId: string): RegenerateError {
  return new RegenerateError(
    'conflict',
    'run_in_progress',
    `agent "${agentId}" was asked to regenerate by someone else just now: wait for that draft`,
  );
}
