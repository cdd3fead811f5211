// Emitting webhook events: each one is written to MongoDB (one delivery record
// per subscribed endpoint) where it happens, before the caller moves on, so
// no event depends on the sender, Redis or the receiver being up at the time.
// The realtime publish points are the event points: webhookPublisher() wraps
// a realtime Publisher and turns what it publishes into webhook events.
import { randomUUID } from 'node:crypto';
import type { Publisher, RealtimeEvent } from '../realtime/events.ts';
import type { ConversationRecord, MessageRecord, Store } from '../store/index.ts';
import type { WebhookEventType } from './events.ts';

export interface EmitDeps {
  store: Pick<Store, 'webhooks' | 'messages' | 'conversations'>;
}

/**
 * Record an event for every enabled endpoint of the account subscribed to its
 * type; returns how many deliveries were added. `key` makes a repeated emission
 * of the same event (a retried job) one delivery; without one every call is a
 * new event. `payload.conversation_id`, when given, ties it to the conversation
 * for redaction.
 */
export async function emitWebhookEvent(
  deps: EmitDeps,
  accountId: string,
  type: WebhookEventType,
  payload: Record<string, unknown>,
  key?: string,
): Promise<number> {
  const endpoints = await deps.store.webhooks.subscribed(accountId, type);
  if (endpoints.length === 0) return 0;
  const eventId = `evt_${randomUUID()}`;
  const conversationId = payload.conversation_id;
  return deps.store.webhooks.recordEvent(
    {
      account_id: accountId,
      event_id: eventId,
      event_type: type,
      event_key: key ?? eventId,
      conversation_id: typeof conversationId === 'string' ? conversationId : null,
      payload,
    },
    endpoints.map((endpoint) => endpoint._id),
  );
}

/** What a webhook says about a conversation: ids and states; the rest is one API call away. */
export function conversationPayload(conversation: ConversationRecord): Record<string, unknown> {
  return {
    conversation_id: conversation._id,
    conversation: {
      id: conversation._id,
      type: conversation.type,
      audience: conversation.audience,
      title: conversation.title,
      status: conversation.status,
      workflow_status: conversation.workflow_status,
      case_number: conversation.case_number,
      priority: conversation.priority,
      assignee_id: conversation.assignee_id,
      mailbox_id: conversation.mailbox_id,
      created_at: conversation.created_at.toISOString(),
      updated_at: conversation.updated_at.toISOString(),
    },
  };
}

function messagePayload(message: MessageRecord): Record<string, unknown> {
  return {
    conversation_id: message.conversation_id,
    message: {
      id: message._id,
      kind: message.kind,
      status: message.status,
      visibility: message.visibility,
      channel: message.channel,
      subject: message.subject,
      sender_id: message.sender_id,
      mailbox_id: message.mailbox_id,
      agent_run_id: message.agent_run_id,
      reply_to_id: message.reply_to_id,
      created_at: message.created_at.toISOString(),
      updated_at: message.updated_at.toISOString(),
      ...(message.delivery?.last_error
        ? { delivery_error: { code: message.delivery.last_error.code } }
        : {}),
    },
  };
}

/** Turn one realtime event into the webhook events it stands for. */
async function fromRealtime(deps: EmitDeps, event: RealtimeEvent): Promise<void> {
  if (event.type === 'message.delta') return;
  const { store } = deps;
  const accountId = await store.webhooks.accountOfConversation(event.conversation_id);
  if (!accountId || !(await store.webhooks.hasEndpoints(accountId))) return;
  if (event.type === 'conversation.updated') {
    const conversation = await store.conversations.get(accountId, event.conversation_id);
    if (conversation) {
      await emitWebhookEvent(
        deps,
        accountId,
        'conversation.updated',
        conversationPayload(conversation),
      );
    }
    return;
  }
  const message = await store.messages.get(accountId, event.message_id);
  if (!message) return;
  const payload = messagePayload(message);
  if (event.type === 'message.created') {
    await emitWebhookEvent(
      deps,
      accountId,
      'message.created',
      payload,
      `message.created:${message._id}`,
    );
    return;
  }
  // message.updated: what changed is read from the message's state. A human's
  // retry can fail a message again: each failure is its own event.
  if (message.status === 'sent') {
    await emitWebhookEvent(deps, accountId, 'message.sent', payload, `message.sent:${message._id}`);
  } else if (message.status === 'failed') {
    const key = `message.failed:${message._id}:${message.delivery?.attempts ?? 0}`;
    await emitWebhookEvent(deps, accountId, 'message.failed', payload, key);
  } else if (
    message.status === 'draft' &&
    message.agent_run_id !== null &&
    message.streaming_state === 'complete'
  ) {
    // A regenerated draft is a new message, so the message id is the event.
    await emitWebhookEvent(deps, accountId, 'draft.ready', payload, `draft.ready:${message._id}`);
  }
}

/**
 * The realtime publisher, plus webhook events for what it publishes. The
 * realtime side stays best effort; the webhook record is written or the call
 * fails, so a job that could not record its events retries (the keys above
 * make the retry add nothing twice).
 */
export function webhookPublisher(inner: Publisher, deps: EmitDeps): Publisher {
  return {
    async publish(event) {
      await inner.publish(event);
      await fromRealtime(deps, event);
    },
  };
}
