// Who may own a case (PATCH/PUT /conversations/{id}): a teammate, a team or
// persona (a group actor), or an agent, as seed D limits it: for email, the
// mailbox's active agent; elsewhere, an active agent already in the
// conversation. API keys never own cases. Every lookup is scoped by account,
// so another account's ids answer exactly like unknown ones.
import type { ActorType, ConversationRecord, Store } from '../../store/index.ts';
import { ApiError } from '../errors.ts';

export interface CheckedAssignee {
  actor_id: string;
  type: ActorType;
}

export async function checkAssignee(
  store: Store,
  conversation: ConversationRecord,
  actorId: string,
  /** The assignee_type the caller sent, if any: it must match the actor. */
  claimedType: ActorType | undefined,
): Promise<CheckedAssignee> {
  const accountId = conversation.account_id;
  const actor = await store.actors.get(accountId, actorId);
  if (!actor) throw invalid(`body.assignee_id: no actor with id "${actorId}" in this account`);
  if (claimedType !== undefined && claimedType !== actor.type) {
    throw invalid(
      `body.assignee_type: actor "${actorId}" is ${article(actor.type)} ${actor.type}, not ${article(claimedType)} ${claimedType}`,
    );
  }
  if (actor.type === 'api_key') {
    throw invalid(
      `body.assignee_id: actor "${actorId}" is an api_key: assign a user, a group or an agent`,
    );
  }
  if (actor.type === 'agent') await checkAgent(store, conversation, actorId);
  return { actor_id: actor._id, type: actor.type };
}

async function checkAgent(
  store: Store,
  conversation: ConversationRecord,
  agentId: string,
): Promise<void> {
  const accountId = conversation.account_id;
  const agent = await store.agents.get(accountId, agentId);
  if (!agent || agent.status !== 'active') {
    throw invalid(`body.assignee_id: agent "${agentId}" is not active`);
  }
  if (conversation.mailbox_id !== null) {
    const mailbox = await store.mailboxes.getByKey(accountId, conversation.mailbox_id);
    if (!mailbox?.agent_ids.includes(agentId)) {
      throw invalid(
        `body.assignee_id: agent "${agentId}" is not an email agent of mailbox "${conversation.mailbox_id}"`,
      );
    }
    return;
  }
  const member = conversation.participants.some(
    (p) => p.type === 'agent' && p.actor_id === agentId && p.membership === 'active',
  );
  if (!member) {
    throw invalid(
      `body.assignee_id: agent "${agentId}" is not an agent of conversation "${conversation._id}"`,
    );
  }
}

function invalid(message: string): ApiError {
  return new ApiError('unprocessable', 'invalid_assignee', message);
}

function article(type: ActorType): string {
  return type === 'agent' || type === 'api_key' ? 'an' : 'a';
}
