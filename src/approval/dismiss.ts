// The two ways a human stops a reply: reject a draft (it is never sent) and
// cancel a scheduled message before delivery. Each is one conditional update;
// the loser of a race is told what the message became instead.
import { unscheduleDelivery } from '../delivery/schedule.ts';
import type { MessageRecord } from '../store/index.ts';
import type { Actor, ApprovalDeps } from './deps.ts';
import {
  checkVersion,
  conflict,
  messageNotFound,
  versionError,
  type ApprovalError,
} from './errors.ts';
import { cancelBlocker, rejectBlocker } from './rules.ts';

type Blocker = (message: MessageRecord) => ApprovalError | null;

export async function rejectDraft(
  deps: ApprovalDeps,
  actor: Actor,
  messageId: string,
  reason: string | null,
  /** The version the human decided on (If-Match): only that one is rejected. */
  expectedUpdatedAt?: Date,
): Promise<MessageRecord> {
  const now = deps.now?.() ?? new Date();
  const message = await readChecked(deps, actor, messageId, rejectBlocker, expectedUpdatedAt);
  const rejected = await deps.store.approval.reject(
    actor.account_id,
    messageId,
    { reason, rejected_by: actor.actor_id, rejected_at: now },
    expectedUpdatedAt,
  );
  if (!rejected) throw await lostRace(deps, actor, message, rejectBlocker, expectedUpdatedAt);
  // A draft rejected mid-stream: its run finds the draft gone at its next save and stops.
  await reopenIfNoDraftLeft(deps, actor.account_id, message.conversation_id, now);
  await published(deps, rejected);
  deps.logger.info(
    { message: messageId, conversation: message.conversation_id, rejected_by: actor.actor_id },
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
  const message = await readChecked(deps, actor, messageId, cancelBlocker, expectedUpdatedAt);
  const canceled = await deps.store.approval.cancel(
    actor.account_id,
    messageId,
    { reason, canceled_by: actor.actor_id, canceled_at: now },
    expectedUpdatedAt,
  );
  if (!canceled) throw await lostRace(deps, actor, message, cancelBlocker, expectedUpdatedAt);
  const log = deps.logger.child({ message: messageId, conversation: message.conversation_id });
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

async function readChecked(
  deps: ApprovalDeps,
  actor: Actor,
  messageId: string,
  blocker: Blocker,
  expectedUpdatedAt: Date | undefined,
): Promise<MessageRecord> {
  const message = await deps.store.messages.get(actor.account_id, messageId);
  if (!message) throw messageNotFound(messageId);
  checkVersion(message, expectedUpdatedAt);
  const blocked = blocker(message);
  if (blocked) throw blocked;
  return message;
}

async function lostRace(
  deps: ApprovalDeps,
  actor: Actor,
  before: MessageRecord,
  blocker: Blocker,
  expectedUpdatedAt: Date | undefined,
): Promise<ApprovalError> {
  const now = await deps.store.messages.get(actor.account_id, before._id);
  if (!now) return messageNotFound(before._id);
  const blocked = blocker(now);
  if (blocked) return blocked;
  // The version the human decided on is gone, though the action would still apply.
  const changed = versionError(now, expectedUpdatedAt);
  if (changed) return changed;
  return (
    blocker(now) ??
    conflict(
      'concurrent_update',
      `message "${before._id}" was changed by someone else meanwhile: reload it and try again`,
    )
  );
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
