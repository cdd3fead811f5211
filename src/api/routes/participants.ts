// POST /v1/messaging/conversations/{id}/participants: add a teammate or an
// agent (with its trigger policy); DELETE .../participants/{participant_id}:
// remove one. Both answer with the conversation, participants included.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { normalizeKeywords } from '../../agents/rules/keywords.ts';
import { change, recordAudit } from '../../audit/recorder.ts';
import { redisPublisher } from '../../realtime/events.ts';
import { webhookPublisher } from '../../webhooks/emit.ts';
import {
  PARTICIPANT_ROLES,
  TRIGGER_POLICIES,
  type AuditChange,
  type ConversationRecord,
  type Store,
} from '../../store/index.ts';
import type { ParticipantSpec } from '../../store/repositories/participants.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import type { AgentApiDeps } from './agent-api-deps.ts';
import { conversationOr404, includesOf, renderConversation } from './conversation-view.ts';
import { describeRoute } from '../openapi/registry.ts';

const MAX_KEYWORDS = 50;
const AGENT_ONLY = ['agent_trigger_policy', 'agent_trigger_keywords'] as const;
const MAX_KEYWORD_LENGTH = 100;
const id = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

/** One member to add: a teammate (`actor_id`) or an agent (`agent_id`, its trigger policy). */
export const participantBody = z
  .strictObject({
    type: z.enum(['user', 'agent']),
    actor_id: id.optional(),
    agent_id: id.optional(),
    role: z.enum(PARTICIPANT_ROLES).default('member'),
    agent_trigger_policy: z.enum(TRIGGER_POLICIES).optional(),
    agent_trigger_keywords: z
      .array(z.string().trim().min(1, 'must not be empty').max(MAX_KEYWORD_LENGTH))
      .max(MAX_KEYWORDS, `at most ${MAX_KEYWORDS} keywords`)
      .optional(),
  })
  .superRefine((body, ctx) => {
    const own = body.type === 'user' ? 'actor_id' : 'agent_id';
    const other = body.type === 'user' ? 'agent_id' : 'actor_id';
    if (body[own] === undefined) {
      ctx.addIssue({ code: 'custom', path: [own], message: `required for a ${body.type}` });
    }
    const stray: ReadonlyArray<keyof typeof body> =
      body.type === 'user' ? [other, ...AGENT_ONLY] : [other];
    for (const field of stray) {
      if (body[field] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `not for a ${body.type}` });
      }
    }
  });
type AddBody = z.infer<typeof participantBody>;

type Route = { Params: { id: string } };
type ParticipantRoute = { Params: { id: string; participant_id: string } };

describeRoute({
  method: 'POST',
  path: '/v1/messaging/conversations/:id/participants',
  permission: 'messaging:write',
  summary: 'Add a participant',
  body: participantBody,
  query: ['include'],
  responses: {
    201: 'The conversation, with the participant added',
    200: 'The conversation (the participant was there already)',
  },
});
describeRoute({
  method: 'DELETE',
  path: '/v1/messaging/conversations/:id/participants/:participant_id',
  permission: 'messaging:write',
  summary: 'Remove a participant',
  query: ['include'],
  responses: { 200: 'The conversation' },
});

export function participantRoutes(deps: AgentApiDeps) {
  const { store } = deps;
  const publisher = webhookPublisher(redisPublisher(deps.redis, deps.prefix), {
    store: deps.store,
  });

  async function answer(request: FastifyRequest, conversation: ConversationRecord) {
    // Realtime is best effort (the publisher swallows Redis errors).
    await publisher.publish({ type: 'conversation.updated', conversation_id: conversation._id });
    const include = new Set(includesOf(request)).add('participants');
    return renderConversation(
      store,
      conversation.account_id,
      conversation,
      include,
      principalOf(request).actor_id,
    );
  }

  return (v1: FastifyInstance): void => {
    const write = { preHandler: requirePermission('messaging:write') };

    v1.post<Route>('/messaging/conversations/:id/participants', write, async (request, reply) => {
      const { account_id, actor_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), ['include']);
      includesOf(request);
      const body = validate('body', participantBody, request.body);
      const conversation = await conversationOr404(store, account_id, request.params.id);
      const spec = await participantSpec(store, account_id, body);
      const result = await store.participants.add(account_id, conversation._id, spec);
      switch (result.outcome) {
        case 'not_found':
          throw notFound('conversation', request.params.id);
        case 'already_participant':
          throw new ApiError(
            'conflict',
            'already_participant',
            `${spec.actor_id} is already a participant (${result.participant_id}) of conversation "${conversation._id}"`,
          );
        case 'added':
        case 'reactivated': {
          await recordAudit(store, request.log, {
            account_id,
            conversation_id: conversation._id,
            kind: 'participant_added',
            actor_id,
            changes: participantChanges(result.participant_id, spec, 'active'),
          });
          const json = await answer(request, result.conversation);
          return reply.code(result.outcome === 'added' ? 201 : 200).send(json);
        }
        default:
          return result satisfies never;
      }
    });

    v1.delete<ParticipantRoute>(
      '/messaging/conversations/:id/participants/:participant_id',
      write,
      async (request) => {
        const { account_id, actor_id } = principalOf(request);
        rejectUnknownParams(queryOf(request), ['include']);
        includesOf(request);
        const { id: conversationId, participant_id: participantId } = request.params;
        const result = await store.participants.remove(account_id, conversationId, participantId);
        switch (result.outcome) {
          case 'not_found':
            throw notFound('conversation', conversationId);
          case 'participant_not_found':
            throw notFound('participant', participantId);
          case 'not_removable':
            throw new ApiError(
              'unprocessable',
              'not_removable',
              `participant "${participantId}" is the case's ${result.type}: only users and agents can be removed`,
            );
          case 'removed':
            await recordAudit(store, request.log, {
              account_id,
              conversation_id: conversationId,
              kind: 'participant_removed',
              actor_id,
              changes: [change('participant_id', participantId, null)],
            });
            return answer(request, result.conversation);
          case 'already_removed':
            return answer(request, result.conversation);
          default:
            return result satisfies never;
        }
      },
    );
  };
}

/** What a participant entry records: ids and type, never a customer's address. */
function participantChanges(
  participantId: string,
  spec: ParticipantSpec,
  membership: 'active',
): AuditChange[] {
  return [
    change('participant_id', null, participantId),
    change('type', null, spec.type),
    change('actor_id', null, spec.actor_id),
    change('membership', null, membership),
  ];
}

/** The checked participant: the actor or agent must exist in the account (else 422). */
export async function participantSpec(
  store: Store,
  accountId: string,
  body: AddBody,
): Promise<ParticipantSpec> {
  if (body.type === 'user') {
    const actorId = body.actor_id ?? '';
    const actor = await store.actors.get(accountId, actorId);
    if (!actor || actor.type !== 'user') {
      throw new ApiError(
        'unprocessable',
        'invalid_actor',
        actor
          ? `body.actor_id: actor "${actorId}" is ${actor.type === 'api_key' ? 'an' : 'a'} ${actor.type}, not a user`
          : `body.actor_id: no user "${actorId}" in this account`,
      );
    }
    return {
      type: 'user',
      actor_id: actor._id,
      role: body.role,
      agent_trigger_policy: null,
      agent_trigger_keywords: [],
    };
  }

  const agentId = body.agent_id ?? '';
  const agent = await store.agents.get(accountId, agentId);
  if (!agent) {
    throw new ApiError('unprocessable', 'invalid_agent', `body.agent_id: no agent "${agentId}"`);
  }
  if (agent.status !== 'active') {
    throw new ApiError(
      'unprocessable',
      'agent_disabled',
      `body.agent_id: agent "${agentId}" is disabled: enable it first (PATCH /v1/agents/${agentId})`,
    );
  }
  const policy = body.agent_trigger_policy ?? agent.trigger_policy;
  // Empty participant keywords fall back to the agent's own (rules/triggers.ts).
  const keywords = normalizeKeywords(body.agent_trigger_keywords ?? []);
  if (policy === 'keyword' && keywords.length === 0 && agent.trigger_keywords.length === 0) {
    throw new ApiError(
      'unprocessable',
      'keywords_required',
      `body.agent_trigger_keywords: the keyword policy needs at least one keyword (agent "${agent.key}" has none of its own)`,
    );
  }
  return {
    type: 'agent',
    actor_id: agent._id,
    role: body.role,
    agent_trigger_policy: policy,
    agent_trigger_keywords: keywords,
  };
}
