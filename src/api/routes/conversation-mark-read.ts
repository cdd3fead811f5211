// POST /v1/messaging/conversations/{id}/actions/mark-read {up_to_sequence?}:
// the caller (a user, or a bare key) has read the conversation up to that
// sequence, by default all of it. Answers 200 with the conversation, whose
// `unread` is the caller's. Reading changes nothing anyone else sees, so
// messaging:read is enough.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Store } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import { conversationOr404, includesOf, renderConversation } from './conversation-view.ts';
import { describeRoute } from '../openapi/registry.ts';

const markReadBody = z.strictObject({
  up_to_sequence: z.number().int('must be an integer').min(0, 'must be 0 or more').optional(),
});

type IdRoute = { Params: { id: string } };

describeRoute({
  method: 'POST',
  path: '/v1/messaging/conversations/:id/actions/mark-read',
  permission: 'messaging:read',
  summary: 'Mark the conversation read for the caller',
  body: markReadBody,
  query: ['include'],
  responses: { 200: "The conversation, with the caller's unread" },
});

export function conversationMarkReadRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    v1.post<IdRoute>(
      '/messaging/conversations/:id/actions/mark-read',
      { preHandler: requirePermission('messaging:read') },
      async (request) => {
        const { account_id, actor_id } = principalOf(request);
        rejectUnknownParams(queryOf(request), ['include']);
        const include = includesOf(request);
        const { up_to_sequence } = validate('body', markReadBody, request.body);
        const conversation = await conversationOr404(store, account_id, request.params.id);
        const upTo = up_to_sequence ?? conversation.last_sequence;
        if (upTo > conversation.last_sequence) {
          throw new ApiError(
            'unprocessable',
            'sequence_out_of_range',
            `body.up_to_sequence: ${upTo} is past the conversation's last message (sequence ${conversation.last_sequence})`,
          );
        }
        await store.readMarkers.markRead(account_id, conversation._id, actor_id, upTo);
        return renderConversation(store, account_id, conversation, include, actor_id);
      },
    );
  };
}
