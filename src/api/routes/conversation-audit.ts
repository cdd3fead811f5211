// GET /v1/messaging/conversations/{id}/audit: the case's audit trail, oldest
// first, cursor-paginated, each entry with its actor in the seed's shape.
import type { FastifyInstance } from 'fastify';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type Store } from '../../store/index.ts';
import { list, pageInfoFor, serializeAuditEntry } from '../serialize/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { PAGE_PARAMS, listUrl, pageParams, queryOf, rejectUnknownParams } from '../query.ts';
import { conversationOr404 } from './conversation-view.ts';
import { describeRoute } from '../openapi/registry.ts';

describeRoute({
  method: 'GET',
  path: '/v1/messaging/conversations/:id/audit',
  permission: 'messaging:read',
  summary: "The case's audit trail (cursor-paginated)",
  query: PAGE_PARAMS,
  responses: { 200: 'A page of audit entries' },
});

export function conversationAuditRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    v1.get<{ Params: { id: string } }>(
      '/messaging/conversations/:id/audit',
      { preHandler: requirePermission('messaging:read') },
      async (request) => {
        const { account_id } = principalOf(request);
        const query = queryOf(request);
        rejectUnknownParams(query, PAGE_PARAMS);
        const page = pageParams(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
        // Another account's conversation is a 404, before anything is read.
        const conversation = await conversationOr404(store, account_id, request.params.id);
        const result = await store.audit.list(account_id, conversation._id, page);
        const actors = await store.actors.getMany(
          account_id,
          result.items.map((entry) => entry.actor_id),
        );
        const url = listUrl(
          `/v1/messaging/conversations/${encodeURIComponent(conversation._id)}/audit`,
          { limit: String(page.limit) },
        );
        return list(
          result.items.map((entry) => serializeAuditEntry(entry, actors)),
          pageInfoFor(result, url),
        );
      },
    );
  };
}
