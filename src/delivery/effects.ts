// What follows a delivery outcome in the case: the workflow move, the first
// response time, the internal alert on a failure, and the realtime events.
// Each step is safe to redo: the alert is keyed by the failed message, the
// first response is set only where null, the workflow move is conditional.
import type { Publisher } from '../realtime/events.ts';
import {
  UNIQUE_INDEX,
  isDuplicateKeyError,
  type ConversationRecord,
  type DeliveryError,
  type DeliveryState,
  type MessageRecord,
  type Store,
} from '../store/index.ts';
import { attemptsInBudget } from './budget.ts';

export interface EffectDeps {
  store: Store;
  publisher: Publisher;
}

/**
 * A customer-visible message reached the customer: the case waits on them.
 * `seen` is the case as read before the send (see replyDelivered).
 */
export async function afterSent(
  deps: EffectDeps,
  sent: MessageRecord,
  seen?: ConversationRecord,
): Promise<void> {
  const { store, publisher } = deps;
  await publisher.publish({
    type: 'message.updated',
    conversation_id: sent.conversation_id,
    message_id: sent._id,
  });
  if (sent.visibility === 'external') await replyDelivered(store, sent, seen);
  await publisher.publish({ type: 'conversation.updated', conversation_id: sent.conversation_id });
}

/**
 * The case's first response (unless it has one) and its workflow move.
 * From the case as read before the send, one conditional write usually does
 * both: a first response once set is never cleared, and the move requires
 * the status it was worked out from. Else each step on the stored case.
 */
async function replyDelivered(
  store: Store,
  sent: MessageRecord,
  seen: ConversationRecord | undefined,
): Promise<void> {
  const at = sent.delivery?.sent_at ?? new Date();
  const event = { type: 'reply_delivered' } as const;
  const firstResponseAt = seen?.first_response_at ? undefined : at;
  if (seen && (await store.conversations.moveFromSeen(seen, event, { firstResponseAt }))) return;
  if (firstResponseAt) {
    await store.delivery.setFirstResponse(sent.account_id, sent.conversation_id, at);
  }
  await store.conversations.applyWorkflowEvent(sent.account_id, sent.conversation_id, event);
}

/**
 * A message failed for good: an internal alert naming the recipient and the
 * server's answer, and the case back to the team (waiting_internal). The
 * alert carries a client_message_id derived from the failed message, so a
 * redone step finds it instead of posting a second one; the workflow moves
 * only with the alert's first posting.
 */
export async function afterFailed(
  deps: EffectDeps,
  failed: MessageRecord,
  recipients: string,
): Promise<void> {
  const { store, publisher } = deps;
  await publisher.publish({
    type: 'message.updated',
    conversation_id: failed.conversation_id,
    message_id: failed._id,
  });
  const alert = await postAlert(store, failed, recipients);
  if (!alert) return;
  await publisher.publish({
    type: 'message.created',
    conversation_id: failed.conversation_id,
    message_id: alert._id,
  });
  await store.conversations.applyWorkflowEvent(failed.account_id, failed.conversation_id, {
    type: 'delivery_failed',
  });
  await publisher.publish({
    type: 'conversation.updated',
    conversation_id: failed.conversation_id,
  });
}

function alertText(
  recipients: string,
  error: DeliveryError | null,
  delivery: DeliveryState | null,
): string {
  const server = error?.code && /^\d{3}$/.test(error.code) ? `SMTP ${error.code}` : error?.code;
  const answer = [server, error?.response ?? error?.message].filter(Boolean).join(': ');
  const attempts = attemptsInBudget(delivery);
  const total = delivery?.attempts ?? 0;
  const tries =
    `${attempts} attempt${attempts === 1 ? '' : 's'}` +
    (total > attempts ? ` since the last retry, ${total} in all` : '');
  return `Could not deliver the reply to ${recipients || 'the customer'}: ${answer || 'unknown error'} (after ${tries}). The message was not sent.`;
}

async function postAlert(
  store: Store,
  failed: MessageRecord,
  recipients: string,
): Promise<MessageRecord | null> {
  const retries = failed.delivery?.retries ?? 0;
  try {
    return await store.messages.appendSent({
      account_id: failed.account_id,
      conversation_id: failed.conversation_id,
      kind: 'alert',
      visibility: 'internal',
      channel: 'message',
      body: alertText(recipients, failed.delivery?.last_error ?? null, failed.delivery),
      reply_to_id: failed._id,
      trigger_message_id: failed._id,
      // One alert per failure: a failure after a human's retry is a new one.
      client_message_id: `delivery-failed-${failed._id}${retries ? `-retry-${retries}` : ''}`,
    });
  } catch (error) {
    if (isDuplicateKeyError(error, UNIQUE_INDEX.messageClientId)) return null;
    throw error;
  }
}
