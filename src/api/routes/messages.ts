// GET /v1/messaging/conversations/{id}/messages: the whole timeline the
// caller may see (drafts and scheduled included), sent messages by sequence
// then the others by created_at; and GET /v1/messaging/messages/{id}. Both
// expand `agent_run` on include[]=agent_run; otherwise it is null, as the seed
// answers it, and `agent_run_id` names the run.
import type { FastifyInstance } from 'fastify';
import {
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  MESSAGE_STATUSES,
  list,
  pageInfoFor,
  serializeMessage,
  type AgentRunRecord,
  type MessageJson,
  type MessageRecord,
  type Store,
} from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { notFound } from '../errors.ts';
import { setMessageEtag } from '../etag.ts';
import {
  PAGE_PARAMS,
  enumListParam,
  listUrl,
  pageParams,
  queryOf,
  rejectUnknownParams,
} from '../query.ts';
import { conversationOr404 } from './conversation-view.ts';
import { describeRoute } from '../openapi/registry.ts';

const MESSAGE_INCLUDES = ['agent_run'] as const;
type MessageInclude = (typeof MESSAGE_INCLUDES)[number];

const LIST_PARAMS = ['status', 'include', ...PAGE_PARAMS];

/**
 * Messages with the messages they reply to, and every sender and author, in
 * one messageLookups.getMany and one actors.getMany call.
 */
export async function renderMessages(
  store: Store,
  accountId: string,
  messages: readonly MessageRecord[],
  include: ReadonlySet<MessageInclude> = new Set(),
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
  const actors = await store.actors.getMany(
    accountId,
    [...messages, ...repliedTo].flatMap((m) => [m.sender_id, m.author_id]),
  );
  return messages.map((message) =>
    serializeMessage(message, {
      actors,
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
        const status = enumListParam(query, 'status', MESSAGE_STATUSES);
        const page = pageParams(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
        const include = new Set(enumListParam(query, 'include', MESSAGE_INCLUDES));
        const conversation = await conversationOr404(store, account_id, request.params.id);

        const result = await store.messages.listForConversation(account_id, conversation._id, {
          ...page,
          ...(status.length ? { status } : {}),
        });
        const data = await renderMessages(store, account_id, result.items, include);
        const path = `/v1/messaging/conversations/${encodeURIComponent(conversation._id)}/messages`;
        const url = listUrl(path, {
          status,
          include: [...include],
          limit: String(page.limit),
        });
        return list(data, pageInfoFor(result, url));
      },
    );

    v1.get<{ Params: { id: string } }>('/messaging/messages/:id', read, async (request, reply) => {
      const { account_id } = principalOf(request);
      const query = queryOf(request);
      rejectUnknownParams(query, ['include']);
      const include = new Set(enumListParam(query, 'include', MESSAGE_INCLUDES));
      const message = await store.messages.get(account_id, request.params.id);
      if (!message) throw notFound('message', request.params.id);
      const [json] = await renderMessages(store, account_id, [message], include);
      if (json) setMessageEtag(reply, json);
      return json;
    });
  };
}
