// GET /v1/messaging/conversations (filtered, cursor-paginated) and
// GET /v1/messaging/conversations/{id}, both honouring include[].
import type { FastifyInstance } from 'fastify';
import {
  AUDIENCES,
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  WORKFLOW_STATUSES,
  type Store,
} from '../../store/index.ts';
import { list, pageInfoFor } from '../serialize/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import {
  PAGE_PARAMS,
  enumListParam,
  enumParam,
  listParam,
  listUrl,
  pageParams,
  queryOf,
  rejectUnknownParams,
  singleParam,
} from '../query.ts';
import {
  conversationOr404,
  includesOf,
  renderConversation,
  renderConversations,
} from './conversation-view.ts';
import { describeRoute } from '../openapi/registry.ts';

const LIST_PATH = '/v1/messaging/conversations';
const LIST_PARAMS = [
  'workflow_status',
  'audience',
  'mailbox_id',
  'assignee_id',
  'q',
  'order',
  'include',
  ...PAGE_PARAMS,
];
// `recent` (the default): last changed first. `inbox`: the approver's order.
const ORDERS = ['recent', 'inbox'] as const;
// A search longer than this is not something a person typed.
const MAX_SEARCH_LENGTH = 200;

/** `assignee_id`: an actor id, `me` (the caller's own actor) or `none` (unassigned). */
function assigneeFilter(
  value: string | undefined,
  callerActorId: string,
): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'me') return callerActorId;
  if (value === 'none') return null;
  return value;
}

function searchParam(query: ReturnType<typeof queryOf>): string | undefined {
  const q = singleParam(query, 'q');
  if (q !== undefined && q.length > MAX_SEARCH_LENGTH) {
    throw new ApiError(
      'invalid_request',
      'invalid_parameter',
      `query.q: at most ${MAX_SEARCH_LENGTH} characters, got ${q.length}`,
    );
  }
  return q;
}

describeRoute({
  method: 'GET',
  path: '/v1/messaging/conversations',
  permission: 'messaging:read',
  summary: 'List conversations (filtered, cursor-paginated)',
  query: LIST_PARAMS,
  responses: { 200: 'A page of conversations' },
});
describeRoute({
  method: 'GET',
  path: '/v1/messaging/conversations/:id',
  permission: 'messaging:read',
  summary: 'Get a conversation',
  query: ['include'],
  responses: { 200: 'The conversation' },
});

export function conversationReadRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    const read = { preHandler: requirePermission('messaging:read') };

    v1.get('/messaging/conversations', read, async (request) => {
      const { account_id, actor_id } = principalOf(request);
      const query = queryOf(request);
      rejectUnknownParams(query, LIST_PARAMS);
      const workflowStatus = enumListParam(query, 'workflow_status', WORKFLOW_STATUSES);
      const audience = enumParam(query, 'audience', AUDIENCES);
      const mailboxId = singleParam(query, 'mailbox_id');
      const assigneeParam = singleParam(query, 'assignee_id');
      const assigneeId = assigneeFilter(assigneeParam, actor_id);
      const q = searchParam(query);
      const order = enumParam(query, 'order', ORDERS);
      const include = includesOf(request);
      const page = pageParams(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);

      const result = await store.conversations.list(
        account_id,
        {
          ...(workflowStatus.length ? { workflow_status: workflowStatus } : {}),
          ...(audience ? { audience } : {}),
          ...(mailboxId ? { mailbox_id: mailboxId } : {}),
          ...(assigneeId !== undefined ? { assignee_id: assigneeId } : {}),
          ...(q ? { q } : {}),
        },
        page,
        order ?? 'recent',
      );
      const data = await renderConversations(store, account_id, result.items, include, actor_id);
      const url = listUrl(LIST_PATH, {
        workflow_status: workflowStatus,
        audience,
        mailbox_id: mailboxId,
        assignee_id: assigneeParam,
        q,
        order,
        include: listParam(query, 'include'),
        limit: String(page.limit),
      });
      return list(data, pageInfoFor(result, url));
    });

    v1.get<{ Params: { id: string } }>('/messaging/conversations/:id', read, async (request) => {
      const { account_id, actor_id } = principalOf(request);
      const query = queryOf(request);
      rejectUnknownParams(query, ['include']);
      const include = includesOf(request);
      const conversation = await conversationOr404(store, account_id, request.params.id);
      return renderConversation(store, account_id, conversation, include, actor_id);
    });
  };
}
