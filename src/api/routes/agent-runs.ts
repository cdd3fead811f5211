// GET /v1/agent-runs/{id} and GET /v1/messaging/conversations/{id}/agent-runs
// (newest first, cursor-paginated): what an agent run used and came to (model,
// tokens, timings, instructions version, context message ids, outcome), so a
// draft deep-links to its run. Both read only within the caller's account.
import type { FastifyInstance } from 'fastify';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type Store } from '../../store/index.ts';
import { list, pageInfoFor, serializeAgentRun } from '../serialize/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { notFound } from '../errors.ts';
import { PAGE_PARAMS, listUrl, pageParams, queryOf, rejectUnknownParams } from '../query.ts';
import { describeRoute } from '../openapi/registry.ts';
import { conversationOr404 } from './conversation-view.ts';

describeRoute({
  method: 'GET',
  path: '/v1/agent-runs/:id',
  permission: 'messaging:read',
  summary: 'One agent run: model, tokens, timings, instructions version, context ids, outcome',
  query: [],
  responses: { 200: 'The agent run' },
});
describeRoute({
  method: 'GET',
  path: '/v1/messaging/conversations/:id/agent-runs',
  permission: 'messaging:read',
  summary: "A conversation's agent runs, newest first",
  query: [...PAGE_PARAMS],
  responses: { 200: 'A list of agent runs' },
});

export function agentRunRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    const read = { preHandler: requirePermission('messaging:read') };

    v1.get<{ Params: { id: string } }>('/agent-runs/:id', read, async (request) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      const run = await store.agentRuns.get(account_id, request.params.id);
      if (!run) throw notFound('agent_run', request.params.id);
      return serializeAgentRun(run);
    });

    v1.get<{ Params: { id: string } }>(
      '/messaging/conversations/:id/agent-runs',
      read,
      async (request) => {
        const { account_id } = principalOf(request);
        const query = queryOf(request);
        rejectUnknownParams(query, PAGE_PARAMS);
        const page = pageParams(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
        // Another account's conversation is a 404, before anything is read.
        const conversation = await conversationOr404(store, account_id, request.params.id);
        const result = await store.agentRuns.listForConversation(
          account_id,
          conversation._id,
          page,
        );
        const url = listUrl(
          `/v1/messaging/conversations/${encodeURIComponent(conversation._id)}/agent-runs`,
          { limit: String(page.limit) },
        );
        return list(result.items.map(serializeAgentRun), pageInfoFor(result, url));
      },
    );
  };
}
