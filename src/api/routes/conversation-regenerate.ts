// POST /v1/messaging/conversations/{id}/actions/regenerate {agent_id?}: a new
// agent run for the conversation (agents/regenerate.ts). It answers 200 with
// the conversation; the new draft arrives on the event stream as it is written.
// messaging:approve, as reject: it discards the draft awaiting approval.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { RegenerateError, regenerateDraft } from '../../agents/regenerate.ts';
import { redisPublisher } from '../../realtime/events.ts';
import { webhookPublisher } from '../../webhooks/emit.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import { includesOf, renderConversation } from './conversation-view.ts';
import type { MessageActionDeps } from './message-actions.ts';
import { describeRoute } from '../openapi/registry.ts';

const regenerateBody = z.strictObject({
  agent_id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, 'must be an agent id like "agt_acme_drafter"')
    .optional(),
});

describeRoute({
  method: 'POST',
  path: '/v1/messaging/conversations/:id/actions/regenerate',
  permission: 'messaging:approve',
  summary: 'Discard the pending draft and run the agent again',
  body: regenerateBody,
  query: ['include'],
  responses: { 200: 'The conversation' },
});

export function conversationRegenerateRoutes(deps: MessageActionDeps) {
  const regenerate = {
    store: deps.store,
    queues: deps.queues,
    publisher: webhookPublisher(redisPublisher(deps.redis, deps.prefix), { store: deps.store }),
    logger: deps.logger.child({ component: 'regenerate' }),
  };
  return (v1: FastifyInstance): void => {
    v1.post<{ Params: { id: string } }>(
      '/messaging/conversations/:id/actions/regenerate',
      { preHandler: requirePermission('messaging:approve') },
      async (request) => {
        const { account_id, actor_id } = principalOf(request);
        rejectUnknownParams(queryOf(request), ['include']);
        const include = includesOf(request);
        const { agent_id } = validate('body', regenerateBody, request.body);
        try {
          await regenerateDraft(regenerate, { account_id, actor_id }, request.params.id, agent_id);
        } catch (error) {
          if (error instanceof RegenerateError) {
            throw new ApiError(error.kind, error.code, error.message);
          }
          throw error;
        }
        const conversation = await deps.store.conversations.get(account_id, request.params.id);
        if (!conversation) throw notFound('conversation', request.params.id);
        return renderConversation(deps.store, account_id, conversation, include);
      },
    );
  };
}
