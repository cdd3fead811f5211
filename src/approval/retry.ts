// Retry a reply that failed for good (an SMTP outage longer than the retry
// window, a refusal since fixed): failed → scheduled with a fresh attempt
// budget. The attempts made so far stay counted and in delivery.history, and
// the Message-ID fixed before the first attempt is kept, so the customer's
// mail client sees the same reply, not a second one. One conditional update
// on the state read here; MongoDB is written before the queue.
import { change, recordAudit } from '../audit/recorder.ts';
import { scheduleDelivery } from '../delivery/schedule.ts';
import type { MessageRecord } from '../store/index.ts';
import type { Actor, ApprovalDeps } from './deps.ts';
import { conditionalAction } from './conditional-action.ts';
import { retryBlocker } from './rules.ts';

export async function retryFailed(
  deps: ApprovalDeps,
  actor: Actor,
  messageId: string,
  /** The version the human decided on (If-Match): only that one is retried. */
  expectedUpdatedAt?: Date,
): Promise<MessageRecord> {
  const now = deps.now?.() ?? new Date();
  const { before: message, after: retried } = await conditionalAction(
    deps,
    actor,
    messageId,
    retryBlocker,
    expectedUpdatedAt,
    (current) =>
      deps.store.delivery.retryFailed(
        current,
        actor.actor_id,
        expectedUpdatedAt !== undefined,
        now,
      ),
  );
  // Recorded once the retry is stored, whatever happens to the enqueue below:
  // the reconciler sends a stored retry anyway.
  await recordAudit(
    deps.store,
    deps.logger,
    {
      account_id: actor.account_id,
      conversation_id: retried.conversation_id,
      kind: 'message_retried',
      actor_id: actor.actor_id,
      message_id: retried._id,
      changes: [
        change('status', message.status, retried.status),
        change('attempt_budget_start', null, retried.delivery?.budget_start ?? null),
      ],
    },
    now,
  );

  const log = deps.logger.child({ message: message._id, conversation: message.conversation_id });
  try {
    await handToDelivery(deps, retried, log);
  } catch (error) {
    // Stored as scheduled: the reconciler enqueues it on its next pass.
    log.error({ err: error }, 'retried, but the delivery job could not be enqueued yet');
  }
  await deps.publisher.publish({
    type: 'message.updated',
    conversation_id: retried.conversation_id,
    message_id: retried._id,
  });
  log.info(
    { retried_by: actor.actor_id, attempts: retried.delivery?.attempts },
    'failed message sent back to delivery',
  );
  return retried;
}

// The run that failed the message may still be finishing its job (posting
// the alert) when a human retries at once: that job decided already and will
// not look again, so wait for it to end, then enqueue. Bounded: past it the
// reconciler enqueues the scheduled message whose job finished.
const FINISHING_JOB_WAIT_MS = 10_000;

async function handToDelivery(
  deps: ApprovalDeps,
  message: MessageRecord,
  log: ApprovalDeps['logger'],
): Promise<void> {
  const deadline = Date.now() + FINISHING_JOB_WAIT_MS;
  let pause = 20;
  while ((await scheduleDelivery(deps.queues, message)) === 'left_running') {
    if (Date.now() > deadline) {
      log.warn('the failed run is still finishing its job; the reconciler will enqueue the retry');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 250);
  }
}
