// PATCH (and PUT, seed D's name) /v1/messaging/conversations/{id}: title
// (alias subject), priority, assignee_id with assignee_type, is_spam, and seed
// D's status (open | closed, mapped onto the workflow lanes). Everything is
// checked before anything is written; the fields change in one atomic update,
// the assignee joins as a participant (seed C) and the status moves last.
// Answers the updated conversation.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { change, changesBetween, recordAudit } from '../../audit/recorder.ts';
import {
  PRIORITIES,
  type ConversationChanges,
  type ConversationRecord,
  type Store,
  type WorkflowStatus,
} from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { notFound } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import { checkAssignee, type CheckedAssignee } from './assignee-check.ts';
import { assertCase, moveCaseStatus, type StatusTarget } from './case-status-move.ts';
import { conversationOr404, includesOf, renderConversation } from './conversation-view.ts';
import { describeRoute } from '../openapi/registry.ts';

const MAX_TITLE = 500;
const FIELDS = ['title', 'subject', 'priority', 'assignee_id', 'is_spam', 'status'] as const;
// Seed D's two values; `group` is Postroom's extra for a team or persona.
const ASSIGNEE_TYPES = ['user', 'agent', 'group'] as const;
// Seed D's status over the six lanes: closed is resolved; open reopens a
// resolved case and leaves any other lane (already open in seed D's sense).
const STATUS_TARGETS: Record<'open' | 'closed', StatusTarget> = {
  closed: () => 'resolved',
  open: (current: WorkflowStatus) => (current === 'resolved' ? 'open' : null),
};

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
    assignee_type: z.enum(ASSIGNEE_TYPES).nullable().optional(),
    is_spam: z.boolean().optional(),
    // Seed D marks it nullable: null leaves the status as it is.
    status: z.enum(['open', 'closed']).nullable().optional(),
  })
  .refine((body) => FIELDS.some((field) => body[field] !== undefined), {
    message: `send at least one of ${FIELDS.join(', ')}`,
  })
  .refine(
    (body) => body.title === undefined || body.subject === undefined || body.title === body.subject,
    { message: 'title and subject are the same field: send one of them' },
  )
  .refine((body) => body.assignee_type == null || body.assignee_id != null, {
    message: 'assignee_type describes assignee_id: send it with an assignee_id',
    path: ['assignee_type'],
  });
type PatchBody = z.infer<typeof patchBody>;

type IdRoute = { Params: { id: string } };

describeRoute({
  method: 'PATCH',
  path: '/v1/messaging/conversations/:id',
  permission: 'messaging:write',
  summary: 'Update title, priority, assignee (and its type), status (open or closed) or spam flag',
  body: patchBody,
  query: ['include'],
  responses: { 200: 'The updated conversation' },
});
describeRoute({
  method: 'PUT',
  path: '/v1/messaging/conversations/:id',
  permission: 'messaging:write',
  summary: "The same update, under seed D's name for it",
  body: patchBody,
  query: ['include'],
  responses: { 200: 'The updated conversation' },
});

export function conversationUpdateRoutes(store: Store) {
  async function update(request: FastifyRequest<IdRoute>) {
    const { account_id, actor_id } = principalOf(request);
    rejectUnknownParams(queryOf(request), ['include']);
    const include = includesOf(request);
    const body = validate('body', patchBody, request.body);
    // Existence first: an unknown id is a 404 whatever else is wrong.
    const before = await conversationOr404(store, account_id, request.params.id);
    if (body.status != null) assertCase(before);
    const assignee =
      body.assignee_id != null
        ? await checkAssignee(store, before, body.assignee_id, body.assignee_type ?? undefined)
        : null;

    const changes = fieldChanges(body, assignee);
    let updated: ConversationRecord = before;
    if (Object.keys(changes).length > 0) {
      const written = await store.conversations.update(account_id, before._id, changes);
      if (!written) throw notFound('conversation', request.params.id);
      updated = written;
      const changed = changesBetween(before, updated, [
        'title',
        'priority',
        'assignee_id',
        'assignee_type',
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
    }
    if (assignee) updated = (await joinAssignee(request, updated, assignee)) ?? updated;
    if (body.status != null) {
      updated = await moveCaseStatus({
        store,
        log: request.log,
        account_id,
        actor_id,
        conversation_id: updated._id,
        target: STATUS_TARGETS[body.status],
      });
    }
    return renderConversation(store, account_id, updated, include, actor_id);
  }

  /** Seed C: an assigned user or agent joins the case as a participant. */
  async function joinAssignee(
    request: FastifyRequest,
    conversation: ConversationRecord,
    assignee: CheckedAssignee,
  ): Promise<ConversationRecord | null> {
    // Participants are users, agents, customers and the system: a group
    // (a team, a persona) owns the case without joining it.
    if (assignee.type !== 'user' && assignee.type !== 'agent') return null;
    const agent =
      assignee.type === 'agent'
        ? await store.agents.get(conversation.account_id, assignee.actor_id)
        : null;
    const result = await store.participants.add(conversation.account_id, conversation._id, {
      type: assignee.type,
      actor_id: assignee.actor_id,
      role: 'member',
      agent_trigger_policy: agent ? agent.trigger_policy : null,
      agent_trigger_keywords: [],
    });
    if (result.outcome !== 'added' && result.outcome !== 'reactivated') return null;
    await recordAudit(store, request.log, {
      account_id: conversation.account_id,
      conversation_id: conversation._id,
      kind: 'participant_added',
      actor_id: principalOf(request).actor_id,
      changes: [
        change('participant_id', null, result.participant_id),
        change('type', null, assignee.type),
        change('actor_id', null, assignee.actor_id),
        change('membership', null, 'active'),
      ],
    });
    return result.conversation;
  }

  return (v1: FastifyInstance): void => {
    const write = { preHandler: requirePermission('messaging:write') };
    v1.patch<IdRoute>('/messaging/conversations/:id', write, update);
    v1.put<IdRoute>('/messaging/conversations/:id', write, update);
  };
}

function fieldChanges(body: PatchBody, assignee: CheckedAssignee | null): ConversationChanges {
  const changes: ConversationChanges = {};
  const newTitle = body.title !== undefined ? body.title : body.subject;
  if (newTitle !== undefined) changes.title = newTitle;
  if (body.priority !== undefined) changes.priority = body.priority;
  if (body.is_spam !== undefined) changes.is_spam = body.is_spam;
  if (body.assignee_id === null) {
    changes.assignee_id = null;
    changes.assignee_type = null;
  } else if (assignee) {
    changes.assignee_id = assignee.actor_id;
    changes.assignee_type = assignee.type;
  }
  return changes;
}
