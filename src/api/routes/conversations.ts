// GET /v1/messaging/conversations (filtered, cursor-paginated) and
// GET /v1/messaging/conversations/{id}, both honouring include[].
import type { FastifyInstance } from 'fastify';
import {
  AUDIENCES,
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  WORKFLOW_STATUSES,
  list,
  pageInfoFor,
  type Store,
} from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
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

const LIST_PATH = '/v1/messaging/conversations';
const LIST_PARAMS = ['workflow_status', 'audience', 'mailbox_id', 'include', ...PAGE_PARAMS];

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
      const include = includesOf(request);
      const page = pageParams(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);

      const result = await store.conversations.list(
        account_id,
        {
          ...(workflowStatus.length ? { workflow_status: workflowStatus } : {}),
          ...(audience ? { audience } : {}),
          ...(mailboxId ? { mailbox_id: mailboxId } : {}),
        },
        page,
      );
      const data = await renderConversations(store, account_id, result.items, include, actor_id);
      const url = listUrl(LIST_PATH, {
        workflow_status: workflowStatus,
        audience,
        mailbox_id: mailboxId,
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
