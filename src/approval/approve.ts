// Approve a reply: a draft (or a scheduled message being re-approved) becomes
// `scheduled` with the human's edits, and is handed to delivery. The write is
// one conditional update on the state read here, so two racing approvals
// cannot both win; MongoDB is written before the queue, and a lost enqueue is
// repaired by the reconciler.
import { scheduleDelivery } from '../delivery/schedule.ts';
import type { MessageRecord } from '../store/index.ts';
import type { Actor, ApprovalDeps } from './deps.ts';
import { editRatio, measureEdit } from './edit-distance.ts';
import { rememberEdit } from './edit-examples.ts';
import { ApprovalError, checkVersion, conflict, messageNotFound, versionError } from './errors.ts';
import { approveBlocker, deliveryTime } from './rules.ts';
import { staleDraftError } from './stale-draft.ts';

export interface ApproveInput {
  /** The text to send instead of the draft's. */
  body?: string | undefined;
  subject?: string | undefined;
  /** When to deliver; past or absent: now (a re-approval keeps its time when absent). */
  scheduled_at?: Date | null | undefined;
  /** Send even though the customer wrote again after the draft's trigger. */
  allow_stale?: boolean | undefined;
  /**
   * The message's updated_at as the approver read it (HTTP If-Match): approve
   * only that version, so a second approver cannot overwrite the first's edits.
   */
  expected_updated_at?: Date | undefined;
}

export async function approveMessage(
  deps: ApprovalDeps,
  actor: Actor,
  messageId: string,
  input: ApproveInput,
): Promise<MessageRecord> {
  const { store } = deps;
  const now = deps.now?.() ?? new Date();
  const message = await store.messages.get(actor.account_id, messageId);
  if (!message) throw messageNotFound(messageId);
  checkVersion(message, input.expected_updated_at);
  const blocker = approveBlocker(message);
  if (blocker) throw blocker;
  if (input.subject !== undefined && message.channel !== 'email') {
    throw new ApprovalError(
      'unprocessable',
      'not_an_email',
      `body.subject: message "${message._id}" is delivered in the conversation (channel "message"): it has no subject`,
    );
  }
  if (!input.allow_stale) {
    const stale = await staleDraftError(store, message);
    if (stale) throw stale;
  }

  const body = input.body ?? message.body;
  const subject = input.subject ?? message.subject;
  // A re-approval measures against what the agent first wrote, not the last edit.
  const originalBody = message.approval ? message.approval.original_body : message.body;
  const originalSubject = message.approval ? message.approval.original_subject : message.subject;
  const edited = body !== message.body || subject !== message.subject;
  const measured = measureEdit(originalBody ?? '', body ?? '').distance;
  const approved = await store.approval.approve(
    actor.account_id,
    message._id,
    { status: message.status === 'draft' ? 'draft' : 'scheduled', updated_at: message.updated_at },
    {
      body,
      subject,
      scheduled_at: deliveryTime(input.scheduled_at, message, now),
      approval: {
        approved_by: actor.actor_id,
        approved_at: now,
        edit_distance: measured,
        original_body: originalBody,
        original_subject: originalSubject,
        edit_ratio: editRatio(measured, originalBody ?? '', body ?? ''),
        edited: body !== originalBody || subject !== originalSubject,
        ...(await metricTimes(deps, message)),
      },
      edited_at: edited ? now : null,
      // Nothing tried yet: the due time is the schedule. After a failed attempt the backoff stands.
      reset_next_attempt: (message.delivery?.attempts ?? 0) === 0,
    },
  );
  // With If-Match the approver decided on the version read above: if that is gone, say so.
  if (!approved) throw await lostRace(deps, actor, message, Boolean(input.expected_updated_at));

  const log = deps.logger.child({ message: message._id, conversation: message.conversation_id });
  await rememberEdit(store, log, approved);
  try {
    await scheduleDelivery(deps.queues, approved);
  } catch (error) {
    // Stored as scheduled: the reconciler enqueues it on its next pass.
    log.error({ err: error }, 'approved, but the delivery job could not be enqueued yet');
  }
  await deps.publisher.publish({
    type: 'message.updated',
    conversation_id: approved.conversation_id,
    message_id: approved._id,
  });
  log.info(
    {
      from: message.status,
      approved_by: actor.actor_id,
      scheduled_at: approved.scheduled_at,
      edit_distance: approved.approval?.edit_distance,
    },
    message.status === 'draft' ? 'draft approved' : 'scheduled message re-approved',
  );
  return approved;
}

/**
 * When the draft was ready and when the customer wrote, for the approval
 * metrics: read once, at the first approval (a re-approval keeps them).
 */
async function metricTimes(
  { store }: ApprovalDeps,
  message: MessageRecord,
): Promise<{ draft_ready_at: Date | null; customer_message_at: Date | null }> {
  if (message.approval) {
    return {
      draft_ready_at: message.approval.draft_ready_at ?? null,
      customer_message_at: message.approval.customer_message_at ?? null,
    };
  }
  const run = message.agent_run_id
    ? await store.agentRuns.get(message.account_id, message.agent_run_id)
    : null;
  const triggerId = message.trigger_message_id ?? message.reply_to_id;
  const trigger = triggerId ? await store.messages.get(message.account_id, triggerId) : null;
  return {
    draft_ready_at: run?.timings.completed_at ?? null,
    customer_message_at: trigger?.created_at ?? null,
  };
}

/** The conditional write matched nothing: say what happened meanwhile. */
async function lostRace(
  deps: ApprovalDeps,
  actor: Actor,
  before: MessageRecord,
  /** The request named the version it decided on (If-Match). */
  versioned: boolean,
): Promise<ApprovalError> {
  const now = await deps.store.messages.get(actor.account_id, before._id);
  if (!now) return messageNotFound(before._id);
  const changed = versioned ? versionError(now, before.updated_at) : null;
  if (changed) return changed;
  const blocker = approveBlocker(now);
  if (now.status !== before.status) {
    // E.g. a racing approval won (draft → scheduled), or the customer's reply canceled it.
    return conflict(
      blocker?.code ?? 'invalid_state',
      `message "${before._id}" changed from ${before.status} to ${now.status} meanwhile`,
    );
  }
  if (blocker) return blocker;
  return conflict(
    'concurrent_update',
    `message "${before._id}" was changed by someone else meanwhile: reload it and approve again`,
  );
}
