// POST /v1/messaging/conversations/{id}/actions/redact (GDPR erasure): what
// is erased, and in which order, is src/redaction/redact-conversation.ts.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { redactConversation, type RedactionDeps } from '../../redaction/redact-conversation.ts';
import { redisPublisher } from '../../realtime/events.ts';
import type { Store } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import { includesOf, renderConversation } from './conversation-view.ts';
import type { MessageActionDeps } from './message-actions.ts';
import { describeRoute } from '../openapi/registry.ts';

const emptyBody = z.strictObject({});

describeRoute({
  method: 'POST',
  path: '/v1/messaging/conversations/:id/actions/redact',
  permission: 'messaging:delete',
  summary: "Erase the conversation's personal data",
  body: emptyBody,
  query: ['include'],
  responses: { 200: 'The redacted conversation' },
});

export function conversationRedactRoutes(
  store: Store,
  /** The queues and Redis: without them, what Redis keeps of the conversation stays. */
  redis?: MessageActionDeps,
) {
  const publisher = redis ? redisPublisher(redis.redis, redis.prefix) : null;
  return (v1: FastifyInstance): void => {
    v1.post<{ Params: { id: string } }>(
      '/messaging/conversations/:id/actions/redact',
      { preHandler: requirePermission('messaging:delete') },
      async (request) => {
        const { account_id, actor_id } = principalOf(request);
        const conversationId = request.params.id;
        rejectUnknownParams(queryOf(request), ['include']);
        const include = includesOf(request);
        validate('body', emptyBody, request.body);

        const deps: RedactionDeps = {
          store,
          logger: request.log,
          ...(redis
            ? { queueHistory: { queues: redis.queues, redis: redis.redis, prefix: redis.prefix } }
            : {}),
        };
        const result = await redactConversation(deps, {
          account_id,
          conversation_id: conversationId,
          actor_id,
          idempotency_id: request.idempotency?.id ?? null,
        });
        if (result.outcome === 'not_found') throw notFound('conversation', conversationId);
        if (result.outcome === 'legal_hold') {
          throw new ApiError(
            'conflict',
            'legal_hold',
            `conversation "${conversationId}" is under legal hold: release the hold before redacting`,
          );
        }
        // Open streams refresh what they show (best effort, as every realtime event).
        await publisher?.publish({ type: 'conversation.updated', conversation_id: conversationId });
        return renderConversation(store, account_id, result.conversation, include, actor_id);
      },
    );
  };
}
