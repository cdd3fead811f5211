// A conversation's members and their settings:
//   GET   .../conversations/{id}/participants            the members, paginated
//   PATCH .../conversations/{id}/participants/{pid}      role, notifications, trigger policy, keywords
//   POST  .../conversations/{id}/actions/leave           the caller leaves
//   POST  .../conversations/{id}/actions/hide {hidden?}  the caller hides it (their `status: hidden`)
//   POST  .../conversations/{id}/actions/mute {muted?}   the caller's `notifications: muted`
// The caller's own actions find the caller's participant by their actor
// (principal.actor_id): a user, or a bare key that was added as one.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { normalizeKeywords } from '../../agents/rules/keywords.ts';
import {
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  NOTIFICATION_SETTINGS,
  PARTICIPANT_ROLES,
  TRIGGER_POLICIES,
  type ConversationRecord,
  type ParticipantRecord,
  type Store,
} from '../../store/index.ts';
import { list, pageInfoFor, serializeParticipant } from '../serialize/index.ts';
import type {
  ParticipantChanges,
  UpdateParticipantResult,
} from '../../store/repositories/participants.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { PAGE_PARAMS, listUrl, pageParams, queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import { conversationOr404, includesOf, renderConversation } from './conversation-view.ts';
import { describeRoute } from '../openapi/registry.ts';

const MAX_KEYWORDS = 50;
const MEMBER = new Set(['active', 'hidden']);

const patchBody = z.strictObject({
  role: z.enum(PARTICIPANT_ROLES).optional(),
  notifications: z.enum(NOTIFICATION_SETTINGS).optional(),
  agent_trigger_policy: z.enum(TRIGGER_POLICIES).optional(),
  agent_trigger_keywords: z
    .array(z.string().trim().min(1, 'must not be empty').max(100))
    .max(MAX_KEYWORDS, `at most ${MAX_KEYWORDS} keywords`)
    .optional(),
});
const hideBody = z.strictObject({ hidden: z.boolean().default(true) });
const muteBody = z.strictObject({ muted: z.boolean().default(true) });
const emptyBody = z.strictObject({});

type Route = { Params: { id: string } };
type ParticipantRoute = { Params: { id: string; participant_id: string } };

describeRoute({
  method: 'GET',
  path: '/v1/messaging/conversations/:id/participants',
  permission: 'messaging:read',
  summary: "List the conversation's participants (cursor-paginated)",
  query: PAGE_PARAMS,
  responses: { 200: 'A page of participants' },
});
describeRoute({
  method: 'PATCH',
  path: '/v1/messaging/conversations/:id/participants/:participant_id',
  permission: 'messaging:write',
  summary: "Update a participant's role, notifications or trigger settings",
  body: patchBody,
  query: ['include'],
  responses: { 200: 'The conversation' },
});
describeRoute({
  method: 'POST',
  path: '/v1/messaging/conversations/:id/actions/leave',
  permission: 'messaging:read',
  summary: 'The caller leaves the conversation',
  body: emptyBody,
  query: ['include'],
  responses: { 200: 'The conversation' },
});
describeRoute({
  method: 'POST',
  path: '/v1/messaging/conversations/:id/actions/hide',
  permission: 'messaging:read',
  summary: 'The caller hides (or unhides) the conversation',
  body: hideBody,
  query: ['include'],
  responses: { 200: 'The conversation' },
});
describeRoute({
  method: 'POST',
  path: '/v1/messaging/conversations/:id/actions/mute',
  permission: 'messaging:read',
  summary: 'The caller mutes (or unmutes) the conversation',
  body: muteBody,
  query: ['include'],
  responses: { 200: 'The conversation' },
});

export function participantSettingRoutes(store: Store) {
  async function answer(
    request: FastifyRequest,
    result: UpdateParticipantResult,
    conversationId: string,
    id: string,
  ) {
    const { account_id, actor_id } = principalOf(request);
    switch (result.outcome) {
      case 'not_found':
        throw notFound('conversation', conversationId);
      case 'participant_not_found':
        throw notFound('participant', id);
      case 'not_member':
        throw new ApiError(
          'conflict',
          'not_a_member',
          `participant "${id}" has ${result.membership === 'left' ? 'left' : 'been removed'}: add them again first`,
        );
      case 'updated': {
        const include = new Set(includesOf(request)).add('participants');
        return renderConversation(store, account_id, result.conversation, include, actor_id);
      }
      default:
        return result satisfies never;
    }
  }

  /** The caller's own current membership of the conversation, or a 422 naming the problem. */
  function callerOf(request: FastifyRequest, conversation: ConversationRecord): ParticipantRecord {
    const { actor_id } = principalOf(request);
    const own = conversation.participants.find(
      (p) => p.actor_id === actor_id && MEMBER.has(p.membership),
    );
    if (!own) {
      throw new ApiError(
        'unprocessable',
        'not_a_participant',
        `the caller (actor "${actor_id}") is not a participant of conversation "${conversation._id}"`,
      );
    }
    return own;
  }

  async function changeOwn(
    request: FastifyRequest<Route>,
    changes: (own: ParticipantRecord) => ParticipantChanges,
  ) {
    const { account_id } = principalOf(request);
    rejectUnknownParams(queryOf(request), ['include']);
    includesOf(request);
    const conversation = await conversationOr404(store, account_id, request.params.id);
    const own = callerOf(request, conversation);
    const result = await store.participants.update(
      account_id,
      conversation._id,
      own._id,
      changes(own),
    );
    return answer(request, result, conversation._id, own._id);
  }

  return (v1: FastifyInstance): void => {
    const read = { preHandler: requirePermission('messaging:read') };
    const write = { preHandler: requirePermission('messaging:write') };

    v1.get<Route>('/messaging/conversations/:id/participants', read, async (request) => {
      const { account_id } = principalOf(request);
      const query = queryOf(request);
      rejectUnknownParams(query, PAGE_PARAMS);
      const page = pageParams(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const conversation = await conversationOr404(store, account_id, request.params.id);
      const actors = await store.actors.getMany(
        account_id,
        conversation.participants.map((p) => p.actor_id),
      );
      const members = conversation.participants
        .filter((p) => MEMBER.has(p.membership))
        .sort(
          (a, b) => a.joined_at.getTime() - b.joined_at.getTime() || a._id.localeCompare(b._id),
        );
      const result = pageOfMembers(members, page);
      const url = listUrl(`/v1/messaging/conversations/${conversation._id}/participants`, {
        limit: String(page.limit),
      });
      return list(
        result.items.map((p) => serializeParticipant(p, actors)),
        pageInfoFor(result, url),
      );
    });

    v1.patch<ParticipantRoute>(
      '/messaging/conversations/:id/participants/:participant_id',
      write,
      async (request) => {
        const { account_id } = principalOf(request);
        rejectUnknownParams(queryOf(request), ['include']);
        includesOf(request);
        const body = validate('body', patchBody, request.body);
        const { id, participant_id: participantId } = request.params;
        const conversation = await conversationOr404(store, account_id, id);
        const participant = conversation.participants.find((p) => p._id === participantId);
        if (!participant) throw notFound('participant', participantId);
        const agentOnly = (['agent_trigger_policy', 'agent_trigger_keywords'] as const).filter(
          (field) => body[field] !== undefined,
        );
        if (participant.type !== 'agent' && agentOnly.length > 0) {
          throw new ApiError(
            'unprocessable',
            'agent_only_setting',
            `body.${agentOnly[0]}: participant "${participantId}" is a ${participant.type}, not an agent`,
          );
        }
        const keywords =
          body.agent_trigger_keywords === undefined
            ? undefined
            : normalizeKeywords(body.agent_trigger_keywords);
        if (participant.type === 'agent') {
          const policy = body.agent_trigger_policy ?? participant.agent_trigger_policy;
          const kept = keywords ?? participant.agent_trigger_keywords;
          const agent = participant.actor_id
            ? await store.agents.get(account_id, participant.actor_id)
            : null;
          // Empty participant keywords fall back to the agent's own (rules/triggers.ts).
          if (policy === 'keyword' && kept.length === 0 && !agent?.trigger_keywords.length) {
            throw new ApiError(
              'unprocessable',
              'keywords_required',
              'body.agent_trigger_keywords: the keyword policy needs at least one keyword (the agent has none of its own)',
            );
          }
        }
        const result = await store.participants.update(account_id, id, participantId, {
          ...(body.role === undefined ? {} : { role: body.role }),
          ...(body.notifications === undefined ? {} : { notifications: body.notifications }),
          ...(body.agent_trigger_policy === undefined
            ? {}
            : { agent_trigger_policy: body.agent_trigger_policy }),
          ...(keywords === undefined ? {} : { agent_trigger_keywords: keywords }),
        });
        return answer(request, result, id, participantId);
      },
    );

    // Leaving, hiding and muting change only the caller's own membership: reading is enough.
    v1.post<Route>('/messaging/conversations/:id/actions/leave', read, async (request) => {
      validate('body', emptyBody, request.body);
      return changeOwn(request, () => ({ membership: 'left' }));
    });

    v1.post<Route>('/messaging/conversations/:id/actions/hide', read, async (request) => {
      const { hidden } = validate('body', hideBody, request.body);
      return changeOwn(request, () => ({ membership: hidden ? 'hidden' : 'active' }));
    });

    v1.post<Route>('/messaging/conversations/:id/actions/mute', read, async (request) => {
      const { muted } = validate('body', muteBody, request.body);
      return changeOwn(request, () => ({ notifications: muted ? 'muted' : 'unmuted' }));
    });
  };
}

/** One page of the members, the participant id as the cursor. */
function pageOfMembers(
  members: readonly ParticipantRecord[],
  page: { limit: number; after?: string | undefined; before?: string | undefined },
) {
  const indexOf = (cursor: string): number => {
    const index = members.findIndex((p) => p._id === cursor);
    if (index < 0) {
      throw new ApiError(
        'invalid_request',
        'invalid_cursor',
        `query: cursor "${cursor}" names no participant of this conversation`,
      );
    }
    return index;
  };
  let start = 0;
  let end = Math.min(members.length, page.limit);
  if (page.after !== undefined) {
    start = indexOf(page.after) + 1;
    end = Math.min(members.length, start + page.limit);
  } else if (page.before !== undefined) {
    end = indexOf(page.before);
    start = Math.max(0, end - page.limit);
  }
  const items = members.slice(start, end);
  return {
    items,
    has_next: end < members.length,
    has_prev: start > 0,
    next_cursor: items.at(-1)?._id ?? null,
    prev_cursor: items[0]?._id ?? null,
  };
}
