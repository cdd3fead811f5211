// The two ways a human stops a reply: reject a draft (it is never sent) and
// cancel a scheduled message before delivery. Each is one conditional update;
// the loser of a race is told what the message became instead.
import { unscheduleDelivery } from '../delivery/schedule.ts';
import type { MessageRecord } from '../store/index.ts';
import { conditionalAction } from './conditional-action.ts';
import type { Actor, ApprovalDeps } from './deps.ts';
import { cancelBlocker, rejectBlocker } from './rules.ts';

export async function rejectDraft(
  deps: ApprovalDeps,
  actor: Actor,
  messageId: string,
  reason: string | null,
  /** The version the human decided on (If-Match): only that one is rejected. */
  expectedUpdatedAt?: Date,
): Promise<MessageRecord> {
  const now = deps.now?.() ?? new Date();
  const { before, after: rejected } = await conditionalAction(
    deps,
    actor,
    messageId,
    rejectBlocker,
    expectedUpdatedAt,
    () =>
      deps.store.approval.reject(
        actor.account_id,
        messageId,
        { reason, rejected_by: actor.actor_id, rejected_at: now },
        expectedUpdatedAt,
      ),
  );
  // A draft rejected mid-stream: its run finds the draft gone at its next save and stops.
  await reopenIfNoDraftLeft(deps, actor.account_id, before.conversation_id, now);
  await published(deps, rejected);
  deps.logger.info(
    { message: messageId, conversation: before.conversation_id, rejected_by: actor.actor_id },
    'draft rejected',
  );
  return rejected;
}

export async function cancelScheduled(
  deps: ApprovalDeps,
  actor: Actor,
  messageId: string,
  reason: string | null,
  /** The version the human decided on (If-Match): only that one is canceled. */
  expectedUpdatedAt?: Date,
): Promise<MessageRecord> {
  const now = deps.now?.() ?? new Date();
  const { before, after: canceled } = await conditionalAction(
    deps,
    actor,
    messageId,
    cancelBlocker,
    expectedUpdatedAt,
    () =>
      deps.store.approval.cancel(
        actor.account_id,
        messageId,
        { reason, canceled_by: actor.actor_id, canceled_at: now },
        expectedUpdatedAt,
      ),
  );
  const log = deps.logger.child({ message: messageId, conversation: before.conversation_id });
  try {
    await unscheduleDelivery(deps.queues, messageId);
  } catch (error) {
    // Harmless: the worker finds the message canceled and does nothing.
    log.warn({ err: error }, 'canceled, but its delivery job could not be removed');
  }
  await published(deps, canceled);
  log.info({ canceled_by: actor.actor_id }, 'scheduled message canceled');
  return canceled;
}

async function published(deps: ApprovalDeps, message: MessageRecord): Promise<void> {
  await deps.publisher.publish({
    type: 'message.updated',
    conversation_id: message.conversation_id,
    message_id: message._id,
  });
}

// With its last draft rejected, a case parked in needs_approval has nothing
// left to approve: it goes back to open so it shows up as work again.
async function reopenIfNoDraftLeft(
  deps: ApprovalDeps,
  accountId: string,
  conversationId: string,
  now: Date,
): Promise<void> {
  const drafts = await deps.store.messages.listForConversation(accountId, conversationId, {
    status: ['draft'],
    limit: 1,
  });
  if (drafts.items.length > 0) return;
  await deps.store.conversations.applyWorkflowEvent(
    accountId,
    conversationId,
    { type: 'last_draft_rejected' },
    now,
  );
}
