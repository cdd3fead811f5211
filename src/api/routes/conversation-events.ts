// GET /v1/messaging/conversations/{id}/events: the conversation's realtime
// events as Server-Sent Events (message.created, message.delta,
// message.updated, conversation.updated). Created/updated events carry the
// resource in the seed shape, read from MongoDB; deltas are relayed as
// published, without a read, because they arrive many times a second.
//
// Reconnecting with Last-Event-ID (or ?last_event_id=) first replays what
// changed in MongoDB since that event's time, as message.updated frames plus
// one conversation.updated; the channel is subscribed before that read, and
// live events wait behind it, so nothing falls between the two.
//
// A Last-Event-ID we never issued (malformed, a time no Date holds, far in the
// future) is a 400 before the stream starts, not a full catch-up: only a broken
// client or proxy sends one, a replay of the whole conversation on each such
// reconnect would hide that at a high price, and an EventSource stops on a
// non-200 answer instead of reconnecting in a loop.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { createRedis } from '../../queues/redis.ts';
import {
  conversationChannel,
  parseLastEventId,
  type PublishedEvent,
} from '../../realtime/events.ts';
import type { ConversationRecord } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { queryOf, rejectUnknownParams, singleParam } from '../query.ts';
import { signAttachmentUrls } from '../signed-urls.ts';
import type { AgentApiDeps } from './agent-api-deps.ts';
import {
  conversationOr404,
  includesOf,
  renderConversation,
  type Includes,
} from './conversation-view.ts';
import { renderMessages } from './messages.ts';
import { realtimeHubOf, type RealtimeHub } from './realtime-hub.ts';
import { SseStream, type SseFrame, type StepResult } from './sse-stream.ts';
import { describeRoute } from '../openapi/registry.ts';

const DEFAULT_HEARTBEAT_MS = 15_000;
const RETRY_MS = 2_000;
// A few hundred full messages; a client further behind reconnects and catches up.
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
// Event ids carry the publishing process's clock, updated_at the writing
// one's: a second of slack covers skew between hosts at the cost of a few
// messages sent twice (clients apply them by id).
const CATCH_UP_SLACK_MS = 1_000;

describeRoute({
  method: 'GET',
  path: '/v1/messaging/conversations/:id/events',
  permission: 'messaging:read',
  summary: "The conversation's realtime event stream (server-sent events)",
  query: ['last_event_id', 'include'],
  responses: { 200: 'A text/event-stream' },
});

export function conversationEventRoutes(deps: AgentApiDeps) {
  const { store } = deps;
  return (v1: FastifyInstance): void => {
    const hub = realtimeHubOf(
      v1,
      () => createRedis(deps.redisUrl, 'subscriber', deps.logger.child({ component: 'realtime' })),
      deps.logger,
    );

    v1.get<{ Params: { id: string } }>(
      '/messaging/conversations/:id/events',
      { preHandler: requirePermission('messaging:read') },
      async (request, reply) => {
        const { account_id } = principalOf(request);
        const query = queryOf(request);
        rejectUnknownParams(query, ['last_event_id', 'include']);
        const include = includesOf(request);
        const header = request.headers['last-event-id'];
        const lastEventId =
          (typeof header === 'string' ? header : undefined) ?? singleParam(query, 'last_event_id');
        // Refused before the stream starts: an EventSource treats the 400 as final
        // instead of reconnecting forever (see the file comment).
        const resume = parseLastEventId(lastEventId);
        if (resume.kind === 'invalid') {
          throw new ApiError(
            'invalid_request',
            'invalid_last_event_id',
            `Last-Event-ID ${resume.reason}; reconnect without it for live events only`,
          );
        }
        const since = resume.kind === 'since' ? resume.ms : null;
        const conversation = await conversationOr404(store, account_id, request.params.id);
        const channel = conversationChannel(deps.prefix, conversation._id);
        const log = request.log.child({ conversation: conversation._id });

        reply.hijack();
        const stream = new SseStream(reply.raw, {
          heartbeatMs: deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
          retryMs: RETRY_MS,
          maxBufferedBytes: MAX_BUFFERED_BYTES,
          onError: (error) => log.warn({ err: error }, 'realtime stream ended on an error'),
        });

        const frames = new FrameSource(deps, hub, conversation, include, channel);
        // Registered synchronously, before the first step is queued: every
        // live event lands in the queue behind it.
        const subscription = hub.subscribe(channel, (published) =>
          stream.enqueue(() => frames.live(published)),
        );
        stream.enqueue(async () => {
          try {
            await subscription.ready;
          } catch (error) {
            log.warn({ err: error }, 'realtime subscription failed');
            refuse(reply.raw, request.id);
            return null;
          }
          // The response starts only now: a client that has it (EventSource's
          // open event) and then acts gets the events of what it did.
          stream.open({ 'x-request-id': request.id });
          return since === null ? null : frames.catchUp(since);
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

/** Redis did not take the subscription: a 503 the client can retry, not an empty stream. */
function refuse(res: ServerResponse, requestId: string): void {
  if (res.headersSent) return;
  const error = new ApiError(
    'unavailable',
    'realtime_unavailable',
    'the event stream is unavailable (Redis did not accept the subscription): try again shortly',
  );
  res.writeHead(error.status, {
    'content-type': 'application/json; charset=utf-8',
    'x-request-id': requestId,
  });
  res.end(JSON.stringify(error.toBody()));
}

/** The frames of one connection, from published events or from MongoDB. */
class FrameSource {
  private readonly includeKey: string;

  constructor(
    private readonly deps: AgentApiDeps,
    private readonly hub: RealtimeHub,
    private readonly conversation: ConversationRecord,
    private readonly include: Includes,
    private readonly channel: string,
  ) {
    this.includeKey = [...include].sort().join(',');
  }

  async live({ id, event }: PublishedEvent): Promise<StepResult> {
    if (event.conversation_id !== this.conversation._id) return null;
    switch (event.type) {
      case 'message.delta':
        return { id, event: event.type, data: event.delta };
      case 'message.created':
      case 'message.updated': {
        const data = await this.hub.shared(`${this.channel}|${id}`, () =>
          this.message(event.message_id),
        );
        return data ? { id, event: event.type, data } : null;
      }
      case 'conversation.updated': {
        const data = await this.hub.shared(`${this.channel}|${id}|${this.includeKey}`, () =>
          this.conversationJson(),
        );
        return data ? { id, event: event.type, data } : null;
      }
      default:
        return event satisfies never;
    }
  }

  /** What changed since `since` (ms), ending with the conversation and an id to resume from. */
  async catchUp(since: number): Promise<SseFrame[]> {
    const { store } = this.deps;
    const { account_id, _id } = this.conversation;
    const readAt = Date.now();
    const changed = await store.messageLookups.listChangedSince(
      account_id,
      _id,
      new Date(since - CATCH_UP_SLACK_MS),
    );
    const messages = this.signed(await renderMessages(store, account_id, changed));
    const frames: SseFrame[] = messages.map((data) => ({ event: 'message.updated', data }));
    const conversation = await this.conversationJson();
    // The id names the time of this read: a client reconnecting after
    // receiving it needs only what changed since.
    if (conversation)
      frames.push({ id: `${readAt}-0`, event: 'conversation.updated', data: conversation });
    return frames;
  }

  private async message(messageId: string) {
    const { store } = this.deps;
    const message = await store.messages.get(this.conversation.account_id, messageId);
    if (!message || message.conversation_id !== this.conversation._id) return null;
    const [json] = await renderMessages(store, message.account_id, [message]);
    return json ? this.signed(json) : null;
  }

  /** Streamed JSON is not serialized by fastify, so its attachment URLs are signed here. */
  private signed<T>(data: T): T {
    const signer = this.deps.urlSigner;
    if (signer) signAttachmentUrls(data, this.conversation.account_id, signer);
    return data;
  }

  private async conversationJson() {
    const { store } = this.deps;
    const current = await store.conversations.get(
      this.conversation.account_id,
      this.conversation._id,
    );
    return current
      ? this.signed(await renderConversation(store, current.account_id, current, this.include))
      : null;
  }
}
