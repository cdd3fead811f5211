// GET /v1/messaging/events: the caller's account's cases as they change, as
// Server-Sent Events (`conversation.updated` with the conversation in the seed
// shape), so an inbox list stays current without reloading. Deltas are not
// relayed (a case view follows its own conversation's stream for those).
//
// One pattern subscription per API process hears every conversation's events;
// each is relayed only to the clients of the account that owns the
// conversation, which is read within that account (another account's
// conversation is "not found" there and sends nothing). There is no catch-up:
// a reconnecting client reloads its list, which is the state.
import type { FastifyInstance } from 'fastify';
import { createRedis } from '../../queues/redis.ts';
import { allConversationsPattern, type PublishedEvent } from '../../realtime/events.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { signAttachmentUrls } from '../signed-urls.ts';
import type { AgentApiDeps } from './agent-api-deps.ts';
import { renderConversation, type Includes } from './conversation-view.ts';
import { realtimeHubOf } from './realtime-hub.ts';
import { SseStream, type StepResult } from './sse-stream.ts';
import { describeRoute } from '../openapi/registry.ts';

const DEFAULT_HEARTBEAT_MS = 15_000;
const RETRY_MS = 2_000;
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
// What an inbox row shows: who it is assigned to and who the customer is.
const LIST_INCLUDES: Includes = new Set(['assignee', 'participants']);

describeRoute({
  method: 'GET',
  path: '/v1/messaging/events',
  permission: 'messaging:read',
  summary: "The account's realtime event stream (server-sent events)",
  query: [],
  responses: { 200: 'A text/event-stream' },
});

export function accountEventRoutes(deps: AgentApiDeps) {
  const { store } = deps;
  return (v1: FastifyInstance): void => {
    const hub = realtimeHubOf(
      v1,
      () => createRedis(deps.redisUrl, 'subscriber', deps.logger.child({ component: 'realtime' })),
      deps.logger,
    );

    /** The conversation as the account sees it, rendered once per event for all its clients. */
    // `unread` is the caller's, so the render is shared per reader, not per account.
    const render = (
      accountId: string,
      readerId: string,
      { id, event }: PublishedEvent,
    ): Promise<StepResult> =>
      hub.shared(`account|${accountId}|${readerId}|${id}`, async () => {
        const conversation = await store.conversations.get(accountId, event.conversation_id);
        if (!conversation) return null;
        const data = await renderConversation(
          store,
          accountId,
          conversation,
          LIST_INCLUDES,
          readerId,
        );
        if (deps.urlSigner) signAttachmentUrls(data, accountId, deps.urlSigner);
        return { id, event: 'conversation.updated', data };
      });

    v1.get(
      '/messaging/events',
      { preHandler: requirePermission('messaging:read') },
      async (request, reply) => {
        const { account_id, actor_id } = principalOf(request);
        rejectUnknownParams(queryOf(request), []);
        reply.hijack();
        const stream = new SseStream(reply.raw, {
          heartbeatMs: deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
          retryMs: RETRY_MS,
          maxBufferedBytes: MAX_BUFFERED_BYTES,
          onError: (error) => request.log.warn({ err: error }, 'account stream ended on an error'),
        });
        const subscription = hub.subscribePattern(
          allConversationsPattern(deps.prefix),
          (published) => {
            if (published.event.type === 'message.delta') return;
            stream.enqueue(() => render(account_id, actor_id, published));
          },
        );
        stream.enqueue(async () => {
          try {
            await subscription.ready;
          } catch (error) {
            request.log.warn({ err: error }, 'realtime subscription failed');
            reply.raw.writeHead(503, { 'content-type': 'application/json; charset=utf-8' });
            reply.raw.end(
              JSON.stringify({
                error: {
                  type: 'unavailable',
                  code: 'realtime_unavailable',
                  message: 'the event stream is unavailable: try again shortly',
                },
              }),
            );
            return null;
          }
          stream.open({ 'x-request-id': request.id });
          return null;
        });
        const untrack = hub.track(() => stream.close());
        stream.onClose(() => {
          untrack();
          subscription.unsubscribe();
        });
        return reply;
      },
    );
  };
}
