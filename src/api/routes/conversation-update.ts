// PATCH /v1/messaging/conversations/{id}: title (alias subject), priority,
// assignee_id, is_spam, in one atomic update. Answers the updated conversation.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { changesBetween, recordAudit } from '../../audit/recorder.ts';
import { PRIORITIES, type ConversationChanges, type Store } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import { conversationOr404, includesOf, renderConversation } from './conversation-view.ts';
import { describeRoute } from '../openapi/registry.ts';

const MAX_TITLE = 500;
// Who can own a case: a teammate or a team (the seed's assignee), not a key or an agent.
const ASSIGNABLE = new Set(['user', 'group']);
const FIELDS = ['title', 'subject', 'priority', 'assignee_id', 'is_spam'] as const;

const title = z
  .string()
  .trim()
  .min(1, 'must not be empty (send null to clear it)')
  .max(MAX_TITLE, `must be at most ${MAX_TITLE} characters`)
  .refine((value) => !/[\r\n]/.test(value), 'must not contain line breaks')
  .nullable();

const patchBody = z
  .strictObject({
    title: title.optional(),
    subject: title.optional(),
    priority: z.enum(PRIORITIES).optional(),
    assignee_id: z.string().min(1).max(200).nullable().optional(),
    is_spam: z.boolean().optional(),
  })
  .refine((body) => FIELDS.some((field) => body[field] !== undefined), {
    message: `send at least one of ${FIELDS.join(', ')}`,
  })
  .refine(
    (body) => body.title === undefined || body.subject === undefined || body.title === body.subject,
    { message: 'title and subject are the same field: send one of them' },
  );

describeRoute({
  method: 'PATCH',
  path: '/v1/messaging/conversations/:id',
  permission: 'messaging:write',
  summary: 'Update title, priority, assignee or spam flag',
  body: patchBody,
  query: ['include'],
  responses: { 200: 'The updated conversation' },
});

export function conversationUpdateRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    v1.patch<{ Params: { id: string } }>(
      '/messaging/conversations/:id',
      { preHandler: requirePermission('messaging:write') },
      async (request) => {
        const { account_id, actor_id } = principalOf(request);
        rejectUnknownParams(queryOf(request), ['include']);
        const include = includesOf(request);
        const body = validate('body', patchBody, request.body);
        // Existence first: an unknown id is a 404 whatever else is wrong.
        const before = await conversationOr404(store, account_id, request.params.id);
        const changes: ConversationChanges = {};
        const newTitle = body.title !== undefined ? body.title : body.subject;
        if (newTitle !== undefined) changes.title = newTitle;
        if (body.priority !== undefined) changes.priority = body.priority;
        if (body.is_spam !== undefined) changes.is_spam = body.is_spam;
        if (body.assignee_id !== undefined) {
          if (body.assignee_id !== null) await checkAssignee(store, account_id, body.assignee_id);
          changes.assignee_id = body.assignee_id;
        }
        const updated = await store.conversations.update(account_id, request.params.id, changes);
        if (!updated) throw notFound('conversation', request.params.id);
        const changed = changesBetween(before, updated, [
          'title',
          'priority',
          'assignee_id',
          'is_spam',
        ]);
        if (changed.length > 0) {
          await recordAudit(store, request.log, {
            account_id,
            conversation_id: updated._id,
            kind: 'conversation_updated',
            actor_id,
            changes: changed,
          });
        }
        return renderConversation(store, account_id, updated, include, actor_id);
      },
    );
  };
}

async function checkAssignee(store: Store, accountId: string, actorId: string): Promise<void> {
  const actor = await store.actors.get(accountId, actorId);
  if (!actor) {
    throw new ApiError(
      'unprocessable',
      'invalid_assignee',
      `no actor with id "${actorId}" in this account`,
    );
  }
  if (!ASSIGNABLE.has(actor.type)) {
    throw new ApiError(
      'unprocessable',
      'invalid_assignee',
      `actor "${actorId}" is ${actor.type === 'agent' ? 'an' : 'a'} ${actor.type}: assign a user or a group`,
    );
  }
}
