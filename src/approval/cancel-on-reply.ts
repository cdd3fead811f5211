// A customer who writes again before our scheduled reply went out has moved
// the conversation on: the reply may answer a question no longer asked. When
// the mailbox says so (delivery.cancel_scheduled_on_customer_reply, default
// true), every scheduled email of the case not yet being sent is canceled and
// an internal note tells the team why.
//
// Called by the ingest after it stored a customer's message. Safe to call
// again for the same message (a replayed ingest): only replies approved
// before that message was stored are canceled, each by one conditional update,
// so each gets exactly one note.
import { unscheduleDelivery } from '../delivery/schedule.ts';
import type { Logger } from '../platform/logger.ts';
import type { Queues } from '../queues/queues.ts';
import type { Publisher } from '../realtime/events.ts';
import type { MessageRecord, Store } from '../store/index.ts';

export const CANCELED_ON_REPLY_REASON = 'the customer wrote again before it was sent';

export interface CancelOnReplyDeps {
  store: Store;
  queues: Queues;
  logger: Logger;
  /** Realtime: message.updated / message.created / conversation.updated (optional). */
  publisher?: Publisher;
  now?: () => Date;
}

/** Returns the ids of the messages it canceled. */
export async function cancelScheduledOnCustomerReply(
  deps: CancelOnReplyDeps,
  inbound: MessageRecord,
): Promise<string[]> {
  const { store } = deps;
  // Auto-replies, bounces and mail from our own addresses are not the customer writing again.
  if (inbound.email?.auto_submitted || inbound.email?.from_self) return [];
  const now = deps.now?.() ?? new Date();
  const log = deps.logger.child({ conversation: inbound.conversation_id, inbound: inbound._id });

  const outdated = await store.approval.listOutdatedByReply(
    inbound.account_id,
    inbound.conversation_id,
    inbound.created_at,
  );
  // Most replies find nothing scheduled: the mailbox's option is read only when it matters.
  if (outdated.length === 0 || !(await enabledFor(store, inbound))) return [];
  const canceled: string[] = [];
  for (const message of outdated) {
    const done = await store.approval.cancel(inbound.account_id, message._id, {
      reason: CANCELED_ON_REPLY_REASON,
      canceled_by: null,
      canceled_at: now,
    });
    // Sent, claimed for sending or canceled by someone else meanwhile.
    if (!done) continue;
    canceled.push(done._id);
    await unscheduleDelivery(deps.queues, done._id).catch((error: unknown) =>
      log.warn({ err: error, message: done._id }, 'could not remove the delivery job'),
    );
    const note = await store.messages.appendSent({
      account_id: inbound.account_id,
      conversation_id: inbound.conversation_id,
      kind: 'system_event',
      visibility: 'internal',
      channel: 'message',
      body: noteText(done),
      reply_to_id: done._id,
      trigger_message_id: inbound._id,
    });
    await deps.publisher?.publish({
      type: 'message.updated',
      conversation_id: inbound.conversation_id,
      message_id: done._id,
    });
    await deps.publisher?.publish({
      type: 'message.created',
      conversation_id: inbound.conversation_id,
      message_id: note._id,
    });
    log.info({ message: done._id }, 'scheduled reply canceled: the customer wrote again');
  }
  if (canceled.length > 0) {
    await deps.publisher?.publish({
      type: 'conversation.updated',
      conversation_id: inbound.conversation_id,
    });
  }
  return canceled;
}

async function enabledFor(store: Store, inbound: MessageRecord): Promise<boolean> {
  if (!inbound.mailbox_id) return true;
  const mailbox = await store.mailboxes.getByKey(inbound.account_id, inbound.mailbox_id);
  // The bootstrap default; a mailbox removed from the config keeps the safe behaviour.
  return mailbox?.delivery.cancel_scheduled_on_customer_reply ?? true;
}

function noteText(message: MessageRecord): string {
  const what = message.subject ? `The scheduled reply "${message.subject}"` : 'A scheduled reply';
  return (
    `${what} was canceled: the customer wrote again before it was sent. ` +
    'Review their new message, then approve a new reply.'
  );
}
