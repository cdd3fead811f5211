// A human's decision on an action an agent proposed (a call of a tool not
// marked read_only, kept on the draft's run). Approving runs the tool once,
// now, with the arguments the model wrote, through the outbound guard, and
// records what it answered; a tool error is recorded as the action's failure
// (the approver sees it and can act by hand). Rejecting records the decision.
// Each decision is one conditional update from `pending`, so two approvers
// racing cannot run the tool twice.
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import type { FetchLike } from '../platform/guarded-fetch.ts';
import type { Logger } from '../platform/logger.ts';
import type { Publisher } from '../realtime/events.ts';
import type { AgentRunRecord, MessageRecord, ProposedAction, Store } from '../store/index.ts';
import { callHttpTool } from '../tools/http-tool.ts';
import type { Actor } from './deps.ts';
import { ApprovalError, conflict, messageNotFound } from './errors.ts';

export interface ProposedActionDeps {
  store: Store;
  publisher: Publisher;
  logger: Logger;
  bootstrap: Bootstrap;
  /** The outbound-guarded fetch: tool URLs are checked as agent URLs are. */
  fetch: FetchLike;
}

export interface ActionDecision {
  message: MessageRecord;
  action: ProposedAction;
}

const DISMISSED = new Set(['rejected', 'superseded', 'canceled']);

export async function decideProposedAction(
  deps: ProposedActionDeps,
  actor: Actor,
  messageId: string,
  actionId: string,
  decision: 'approve' | 'reject',
): Promise<ActionDecision> {
  const { store } = deps;
  const message = await store.messages.get(actor.account_id, messageId);
  if (!message) throw messageNotFound(messageId);
  const run = message.agent_run_id
    ? await store.agentRuns.get(actor.account_id, message.agent_run_id)
    : null;
  const action = run?.proposed_actions?.find((a) => a.id === actionId);
  if (!run || !action) {
    throw new ApprovalError(
      'not_found',
      'resource_not_found',
      `message "${messageId}" proposes no action with id "${actionId}"`,
    );
  }
  if (action.status !== 'pending') {
    throw conflict('action_decided', `action "${actionId}" is already ${action.status}`);
  }
  if (decision === 'approve' && DISMISSED.has(message.status)) {
    throw conflict(
      'draft_dismissed',
      `message "${messageId}" is ${message.status}: the actions it proposed cannot run`,
    );
  }
  if (decision === 'approve' && message.streaming_state === 'streaming') {
    throw conflict('draft_streaming', `message "${messageId}" is still being written`);
  }

  if (decision === 'reject') {
    const moved = await store.agentRuns.moveAction(
      actor.account_id,
      run._id,
      actionId,
      'pending',
      'rejected',
      actor.actor_id,
    );
    if (!moved) throw await lost(store, actor, run, actionId);
    return done(deps, message, moved, actionId);
  }

  const tool = await toolOf(deps, actor.account_id, run, action);
  const moved = await store.agentRuns.moveAction(
    actor.account_id,
    run._id,
    actionId,
    'pending',
    'running',
    actor.actor_id,
  );
  if (!moved) throw await lost(store, actor, run, actionId);
  const outcome = await callHttpTool(tool, action.arguments, deps.fetch);
  const finished = await store.agentRuns.finishAction(
    run._id,
    actionId,
    outcome.ok
      ? { status: 'succeeded', result: outcome.result, error: null }
      : { status: 'failed', result: null, error: outcome.error },
  );
  deps.logger.info(
    { message: messageId, action: actionId, tool: tool.name, ok: outcome.ok, by: actor.actor_id },
    'proposed action approved and run',
  );
  return done(deps, message, finished ?? moved, actionId);
}

async function toolOf(
  deps: ProposedActionDeps,
  accountId: string,
  run: AgentRunRecord,
  action: ProposedAction,
) {
  const agent = await deps.store.agents.get(accountId, run.agent_id);
  const tool =
    agent?.source === 'bootstrap'
      ? deps.bootstrap.accounts
          .find((a) => a.id === accountId)
          ?.agents.find((a) => a.id === agent.key)
          ?.tools?.find((t) => t.name === action.tool && !t.read_only)
      : undefined;
  if (!tool) {
    throw new ApprovalError(
      'unprocessable',
      'tool_unavailable',
      `the tool "${action.tool}" is no longer among the agent's tools in POSTROOM_CONFIG: the action cannot run`,
    );
  }
  return tool;
}

async function lost(
  store: Store,
  actor: Actor,
  run: AgentRunRecord,
  actionId: string,
): Promise<ApprovalError> {
  const now = await store.agentRuns.get(actor.account_id, run._id);
  const status = now?.proposed_actions?.find((a) => a.id === actionId)?.status ?? 'gone';
  return conflict('action_decided', `action "${actionId}" was decided meanwhile: it is ${status}`);
}

async function done(
  deps: ProposedActionDeps,
  message: MessageRecord,
  run: AgentRunRecord,
  actionId: string,
): Promise<ActionDecision> {
  const action = run.proposed_actions?.find((a) => a.id === actionId);
  if (!action) throw new Error(`action ${actionId} vanished from run ${run._id}`);
  await deps.publisher.publish({
    type: 'message.updated',
    conversation_id: message.conversation_id,
    message_id: message._id,
  });
  return { message, action };
}
