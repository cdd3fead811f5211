// What follows storing a message posted through the API: a reply delivered
// in-conversation moves the case, sent messages wake agents, scheduled email
// is handed to delivery, and realtime subscribers hear about it.
//
// The message is already in MongoDB when these run, so a failure here is
// logged, not answered with a 5xx: the client would retry and post twice.
// Each step can be redone: dispatch records runs before enqueueing them (the
// reconciler re-enqueues lost ones), delivery jobs have the message id as
// job id, and realtime clients catch up from MongoDB on reconnect.
import type { FastifyBaseLogger } from 'fastify';
import { dispatchTriggers } from '../../agents/dispatch.ts';
import type { AuthorType } from '../../agents/rules/triggers.ts';
import { scheduleDelivery } from '../../delivery/schedule.ts';
import { redisPublisher } from '../../realtime/events.ts';
import { webhookPublisher } from '../../webhooks/emit.ts';
import type { ConversationRecord, MessageRecord } from '../../store/index.ts';
import type { AgentApiDeps } from './agent-api-deps.ts';

export interface StoredMessage {
  message: MessageRecord;
  conversation: ConversationRecord;
  authorType: AuthorType;
  /** A client's retry of a message stored earlier (same client_message_id). */
  replayed: boolean;
}

export async function afterMessageStored(
  deps: AgentApiDeps,
  stored: StoredMessage,
  log: FastifyBaseLogger,
): Promise<void> {
  const { message, conversation } = stored;
  const step = async (name: string, run: () => Promise<unknown>): Promise<void> => {
    try {
      await run();
    } catch (error) {
      log.error({ err: error, message: message._id, step: name }, 'after-post step failed');
    }
  };

  if (message.status === 'sent') {
    const deliveredReply =
      message.visibility === 'external' &&
      message.channel === 'message' &&
      conversation.audience === 'customer';
    if (deliveredReply && !stored.replayed) {
      // DESIGN.md: "a delivered reply moves it to waiting_external".
      await step('workflow', () =>
        deps.store.conversations.applyWorkflowEvent(conversation.account_id, conversation._id, {
          type: 'reply_delivered',
        }),
      );
    }
    await step('dispatch', () =>
      dispatchTriggers(deps, message, stored.authorType, { replayed: stored.replayed }),
    );
  } else if (message.status === 'scheduled' && message.scheduled_at) {
    await step('schedule', () => scheduleDelivery(deps.queues, message));
  }

  const publisher = webhookPublisher(redisPublisher(deps.redis, deps.prefix), {
    store: deps.store,
  });
  await step('publish', async () => {
    await publisher.publish({
      type: 'message.created',
      conversation_id: conversation._id,
      message_id: message._id,
    });
    await publisher.publish({ type: 'conversation.updated', conversation_id: conversation._id });
  });
}
