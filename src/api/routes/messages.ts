// GET /v1/messaging/conversations/{id}/messages: the whole timeline the
// caller may see (drafts and scheduled included), sent messages by sequence
// then the others by created_at (`audience=customer`: only what the customer
// sees); and GET /v1/messaging/messages/{id}. include[] expands `sender`,
// `author` and `agent_run` (null unless included, as the seed answers them).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  AUDIENCES,
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  MESSAGE_STATUSES,
  type AgentRunRecord,
  type ConversationRecord,
  type MessageRecord,
  type MessageStatus,
  type Store,
} from '../../store/index.ts';
import {
  MESSAGE_INCLUDES,
  list,
  pageInfoFor,
  serializeMessage,
  type MessageInclude,
  type MessageJson,
} from '../serialize/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { setMessageEtag } from '../etag.ts';
import {
  PAGE_PARAMS,
  enumListParam,
  enumParam,
  listParam,
  listUrl,
  pageParams,
  queryOf,
  rejectUnknownParams,
} from '../query.ts';
import { conversationOr404 } from './conversation-view.ts';
import { describeRoute } from '../openapi/registry.ts';

const LIST_PARAMS = ['status', 'audience', 'include', ...PAGE_PARAMS];

export type MessageIncludes = ReadonlySet<MessageInclude>;
// Realtime events carry the sender and author; a run is expanded only on request.
const EVERYTHING: MessageIncludes = new Set(['sender', 'author']);

/** include[] (or include=a,b) of a message endpoint: `sender`, `author`, `agent_run`; an unknown value is a 400. */
export function messageIncludesOf(request: FastifyRequest): MessageIncludes {
  return new Set(enumListParam(queryOf(request), 'include', MESSAGE_INCLUDES));
}

// The seed: "On a customer-facing conversation, customer payloads only ever
// carry external and system messages". The customer view is what the customer
// was sent or shown: the timeline, never a draft or a message still scheduled.
const CUSTOMER_VISIBILITIES = ['external', 'system'] as const;

/** The statuses a customer view lists (only sent), or a 4xx when the request asks for more. */
function customerStatuses(
  conversation: ConversationRecord,
  status: readonly MessageStatus[],
): MessageStatus[] {
  if (conversation.audience !== 'customer') {
    throw new ApiError(
      'unprocessable',
      'not_a_customer_case',
      `query.audience: conversation "${conversation._id}" is internal: it has no customer view`,
    );
  }
  const unsent = status.filter((s) => s !== 'sent');
  if (unsent.length) {
    throw new ApiError(
      'invalid_request',
      'invalid_parameter',
      `query.status: the customer view carries only sent messages, not ${unsent.join(', ')}`,
    );
  }
  return ['sent'];
}

/**
 * Messages with the messages they reply to, and the senders and authors
 * `include` expands (default both: realtime events), in one
 * messageLookups.getMany and at most one actors.getMany call.
 */
export async function renderMessages(
  store: Store,
  accountId: string,
  messages: readonly MessageRecord[],
  include: MessageIncludes = EVERYTHING,
): Promise<MessageJson[]> {
  const runs = include.has('agent_run')
    ? await store.agentRuns.getMany(
        accountId,
        messages.map((m) => m.agent_run_id),
      )
    : [];
  const runById = new Map<string, AgentRunRecord>(runs.map((run) => [run._id, run]));
  const repliedTo = await store.messageLookups.getMany(
    accountId,
    messages.map((m) => m.reply_to_id),
  );
  const byId = new Map(repliedTo.map((m) => [m._id, m]));
  const actorIds = [...messages, ...repliedTo].flatMap((m) => [
    include.has('sender') ? m.sender_id : null,
    include.has('author') ? m.author_id : null,
  ]);
  const actors = await store.actors.getMany(accountId, actorIds);
  return messages.map((message) =>
    serializeMessage(message, {
      actors,
      include,
      replyTo: message.reply_to_id ? (byId.get(message.reply_to_id) ?? null) : null,
      agentRun: message.agent_run_id ? (runById.get(message.agent_run_id) ?? null) : null,
    }),
  );
}

describeRoute({
  method: 'GET',
  path: '/v1/messaging/conversations/:id/messages',
  permission: 'messaging:read',
  summary: "List a conversation's messages (cursor-paginated)",
  query: LIST_PARAMS,
  responses: { 200: 'A page of messages' },
});
describeRoute({
  method: 'GET',
  path: '/v1/messaging/messages/:id',
  permission: 'messaging:read',
  summary: 'Get a message',
  query: [],
  responses: { 200: 'The message' },
});

export function messageReadRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    const read = { preHandler: requirePermission('messaging:read') };

    v1.get<{ Params: { id: string } }>(
      '/messaging/conversations/:id/messages',
      read,
      async (request) => {
        const { account_id } = principalOf(request);
        const query = queryOf(request);
        rejectUnknownParams(query, LIST_PARAMS);
        const requested = enumListParam(query, 'status', MESSAGE_STATUSES);
        const audience = enumParam(query, 'audience', AUDIENCES);
        const page = pageParams(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
        const conversation = await conversationOr404(store, account_id, request.params.id);
        const customerView = audience === 'customer';
        const status = customerView ? customerStatuses(conversation, requested) : requested;

        const result = await store.messages.listForConversation(account_id, conversation._id, {
          ...page,
          ...(status.length ? { status } : {}),
          ...(customerView ? { visibility: CUSTOMER_VISIBILITIES } : {}),
        });
        const data = await renderMessages(
          store,
          account_id,
          result.items,
          messageIncludesOf(request),
        );
        const path = `/v1/messaging/conversations/${encodeURIComponent(conversation._id)}/messages`;
        const url = listUrl(path, {
          status: requested,
          audience,
          include: listParam(query, 'include'),
          limit: String(page.limit),
        });
        return list(data, pageInfoFor(result, url));
      },
    );

    v1.get<{ Params: { id: string } }>('/messaging/messages/:id', read, async (request, reply) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), ['include']);
      const include = messageIncludesOf(request);
      const message = await store.messages.get(account_id, request.params.id);
      if (!message) throw notFound('message', request.params.id);
      const [json] = await renderMessages(store, account_id, [message], include);
      if (json) setMessageEtag(reply, json);
      return json;
    });
  };
}
