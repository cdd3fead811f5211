// GET /v1/messaging/conversations/{id}/events through the real runtime and
// real Redis pub/sub: relay and order, full resources on created/updated,
// catch-up on reconnect, heartbeats, access, and cleanup of subscriptions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/api/app.ts';
import { createMetrics } from '../../../src/api/metrics.ts';
import { storeAuthenticator } from '../../../src/api/principal.ts';
import { agentApiRoutes } from '../../../src/api/routes/agent-api.ts';
import { messagingRoutes } from '../../../src/api/routes/messaging.ts';
import {
  conversationChannel,
  redisPublisher,
  type Publisher,
} from '../../../src/realtime/events.ts';
import { internalsOf } from '../../../src/store/connect.ts';
import type { ConversationRecord, MessageRecord } from '../../../src/store/index.ts';
import { TEST_API_KEY, type TestRuntime } from '../../support/runtime.ts';
import { testRedisUrl } from '../../support/env.ts';
import { waitUntil } from '../../support/wait.ts';
import {
  DRAFTER,
  GLOBEX,
  READER_KEY,
  createCase,
  startAgentsRuntime,
  stopRuntime,
  type Json,
} from './helpers.ts';
import { SseClient, type SseFrame } from './sse-client.ts';

let runtime: TestRuntime;
let publisher: Publisher;
const clients: SseClient[] = [];

const auth = (key = TEST_API_KEY) => ({ authorization: `Bearer ${key}` });
const eventsPath = (id: string) => `/v1/messaging/conversations/${id}/events`;

async function connect(
  conversation: ConversationRecord,
  headers: Record<string, string> = {},
  { base = runtime.api, query = '' } = {},
): Promise<SseClient> {
  const client = await SseClient.open(`${base}${eventsPath(conversation._id)}${query}`, {
    ...auth(),
    ...headers,
  });
  clients.push(client);
  assert.equal(client.response.status, 200);
  // The retry hint is written first: once seen, the stream is live.
  const first = await client.next(() => true, 'the retry frame');
  assert.equal(first.retry, 2000);
  return client;
}

async function subscribers(conversation: ConversationRecord): Promise<number> {
  const channel = conversationChannel(runtime.prefix, conversation._id);
  const [, count] = (await runtime.context.redis.pubsub('NUMSUB', channel)) as [string, number];
  return Number(count);
}

/** Wait until this process holds the channel's subscription (SUBSCRIBE acknowledged). */
function subscribed(conversation: ConversationRecord) {
  return waitUntil(async () => (await subscribers(conversation)) === 1, {
    what: 'the subscription',
  });
}

async function note(conversation: ConversationRecord, body: string): Promise<MessageRecord> {
  return runtime.context.store.messages.appendSent({
    account_id: conversation.account_id,
    conversation_id: conversation._id,
    kind: 'chat',
    visibility: 'internal',
    channel: 'message',
    body,
  });
}

describe('conversation events (SSE)', () => {
  before(async () => {
    runtime = await startAgentsRuntime();
    publisher = redisPublisher(runtime.context.redis, runtime.prefix);
  });
  after(async () => {
    for (const client of clients) client.close();
    await stopRuntime(runtime);
  });

  test('streams with SSE headers and relays every event in publish order', async () => {
    const conversation = await createCase(runtime.context.store);
    const client = await connect(conversation);
    const headers = client.response.headers;
    assert.match(headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(headers.get('cache-control'), 'no-cache');
    assert.equal(headers.get('x-accel-buffering'), 'no');
    await subscribed(conversation);

    const message = await note(conversation, 'Hello there');
    const conversation_id = conversation._id;
    await publisher.publish({ type: 'message.created', conversation_id, message_id: message._id });
    // Deltas right behind a created event that needs a database read: they must not overtake it.
    for (const [offset, text] of [
      [0, 'Hel'],
      [3, 'lo'],
      [5, '!'],
    ] as const) {
      await publisher.publish({
        type: 'message.delta',
        conversation_id,
        delta: { message_id: message._id, offset, text },
      });
    }
    await publisher.publish({
      type: 'message.delta',
      conversation_id,
      delta: { message_id: message._id, offset: 0, text: '', reset: true },
    });
    await publisher.publish({ type: 'message.updated', conversation_id, message_id: message._id });
    await publisher.publish({ type: 'conversation.updated', conversation_id });

    const frames = await client.events(7);
    assert.deepEqual(
      frames.map((f) => f.event),
      [
        'message.created',
        'message.delta',
        'message.delta',
        'message.delta',
        'message.delta',
        'message.updated',
        'conversation.updated',
      ],
    );
    const ids = frames.map((f) => f.id ?? '');
    assert.ok(
      ids.every((id) => /^\d+-\d+$/.test(id)),
      'every live frame has the published id',
    );
    assert.equal(new Set(ids).size, ids.length);

    const created = frames[0]?.data as Json;
    assert.equal(created.id, message._id);
    assert.equal(created.object, 'chat_message');
    assert.equal(created.body, 'Hello there');
    assert.equal(created.sequence, 1);
    assert.deepEqual(frames[1]?.data, { message_id: message._id, offset: 0, text: 'Hel' });
    assert.deepEqual(frames[4]?.data, {
      message_id: message._id,
      offset: 0,
      text: '',
      reset: true,
    });
    const updated = frames[6]?.data as Json;
    assert.equal(updated.object, 'conversation');
    assert.equal(updated.id, conversation._id);
    assert.equal(updated.last_message_id, message._id);
  });

  test('the response starts only once the subscription is live: what the client does next is seen', async () => {
    for (let round = 0; round < 5; round++) {
      const conversation = await createCase(runtime.context.store);
      // No wait for the retry frame or for NUMSUB: the response headers are the signal.
      const client = await SseClient.open(`${runtime.api}${eventsPath(conversation._id)}`, auth());
      clients.push(client);
      assert.equal(client.response.status, 200);
      assert.equal(await subscribers(conversation), 1, `round ${round}: subscribed before 200`);
      await publisher.publish({ type: 'conversation.updated', conversation_id: conversation._id });
      const [frame] = await client.events(1);
      assert.equal(frame?.event, 'conversation.updated');
      client.close();
    }
  });

  test('include[] expands the conversation in conversation.updated', async () => {
    const conversation = await createCase(runtime.context.store, {
      participants: [{ type: 'agent', actor_id: DRAFTER, agent_trigger_policy: 'mention' }],
    });
    const client = await connect(conversation, {}, { query: '?include[]=participants' });
    await subscribed(conversation);
    await publisher.publish({ type: 'conversation.updated', conversation_id: conversation._id });
    const [frame] = await client.events(1);
    const data = frame?.data as { participants: { data: Array<{ actor_id: string }> } };
    assert.equal(data.participants.data[0]?.actor_id, DRAFTER);
  });

  test('a message posted through the API reaches every client of the conversation', async () => {
    const conversation = await createCase(runtime.context.store);
    const [a, b] = [await connect(conversation), await connect(conversation)];
    // One Redis subscription per process, however many clients.
    await subscribed(conversation);
    const response = await runtime.request(
      `/v1/messaging/conversations/${conversation._id}/messages`,
      {
        method: 'POST',
        body: JSON.stringify({ body: 'Posted', visibility: 'internal', channel: 'message' }),
      },
    );
    const posted = (await response.json()) as Json;
    for (const client of [a, b]) {
      const [created, updated] = await client.events(2);
      assert.equal(created?.event, 'message.created');
      assert.equal((created?.data as Json).id, posted.id);
      assert.equal((created?.data as Json).body, 'Posted');
      assert.equal(updated?.event, 'conversation.updated');
    }
  });

  test('Last-Event-ID replays the messages changed since, drafts with their body, then the conversation', async () => {
    const store = runtime.context.store;
    const conversation = await createCase(store);
    const old = await note(conversation, 'Seen long ago');
    // Changed well before the client's last event.
    await internalsOf(store)
      .models.Message.updateOne(
        { _id: old._id },
        { $set: { updated_at: new Date(Date.now() - 60_000) } },
        { timestamps: false },
      )
      .exec();
    const lastSeen = `${Date.now() - 30_000}-7`;
    const missed = await note(conversation, 'Missed while away');
    const draft = await store.drafts.create({
      account_id: conversation.account_id,
      conversation_id: conversation._id,
      agent_run_id: 'run_test',
      sender_id: DRAFTER,
      reply_to_id: missed._id,
      trigger_message_id: missed._id,
      channel: 'email',
      subject: 'Re: Where is my order?',
      mailbox_id: 'support',
    });
    await store.drafts.saveBody(draft._id, 'Dear Jane, your parcel');

    for (const how of ['header', 'query'] as const) {
      const client =
        how === 'header'
          ? await connect(conversation, { 'last-event-id': lastSeen })
          : await connect(conversation, {}, { query: `?last_event_id=${lastSeen}` });
      const frames = await client.events(3);
      assert.deepEqual(
        frames.map((f) => [f.event, (f.data as Json).id]),
        [
          ['message.updated', missed._id],
          ['message.updated', draft._id],
          ['conversation.updated', conversation._id],
        ],
        how,
      );
      assert.equal((frames[1]?.data as Json).body, 'Dear Jane, your parcel');
      assert.equal((frames[1]?.data as Json).status, 'draft');
      // The last catch-up frame names the time of the read, to resume from.
      assert.match(frames[2]?.id ?? '', /^\d+-0$/);

      // Live events follow the catch-up.
      await publisher.publish({
        type: 'message.delta',
        conversation_id: conversation._id,
        delta: { message_id: draft._id, offset: 22, text: ' ships' },
      });
      const live = await client.next(
        (f: SseFrame) => f.event === 'message.delta',
        'the live delta',
      );
      assert.deepEqual(live.data, { message_id: draft._id, offset: 22, text: ' ships' });
      client.close();
    }

    // Without Last-Event-ID there is no replay: the first event is a live one.
    const fresh = await connect(conversation);
    await subscribed(conversation);
    await publisher.publish({ type: 'conversation.updated', conversation_id: conversation._id });
    const [first] = await fresh.events(1);
    assert.equal(first?.event, 'conversation.updated');
    assert.match(first?.id ?? '', /^\d+-[1-9]\d*$/);
  });

  test('a malformed, out-of-range or far-future Last-Event-ID is a 400 before the stream starts', async () => {
    const conversation = await createCase(runtime.context.store);
    const cases: Record<string, string> = {
      // A day in the year 318857: no Date holds it (it used to end the stream at once).
      'out of range': '9999999999999999-0',
      'an hour ahead': `${Date.now() + 3_600_000}-0`,
      'not an event id': 'hello',
      'no counter': `${Date.now()}`,
      'seventeen digits': `${'1'.repeat(17)}-0`,
    };
    for (const [what, id] of Object.entries(cases)) {
      for (const how of ['header', 'query'] as const) {
        const response = await fetch(
          `${runtime.api}${eventsPath(conversation._id)}${how === 'query' ? `?last_event_id=${encodeURIComponent(id)}` : ''}`,
          { headers: { ...auth(), ...(how === 'header' ? { 'last-event-id': id } : {}) } },
        );
        assert.equal(response.status, 400, `${what} (${how})`);
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        const body = (await response.json()) as { error: Record<string, string> };
        assert.equal(body.error.type, 'invalid_request');
        assert.equal(body.error.code, 'invalid_last_event_id', what);
        assert.match(String(body.error.message), /^Last-Event-ID /, what);
      }
    }
  });

  test('a Last-Event-ID a little ahead (clock skew between hosts) catches up from now', async () => {
    const conversation = await createCase(runtime.context.store);
    const client = await connect(conversation, { 'last-event-id': `${Date.now() + 60_000}-3` });
    const [updated] = await client.events(1);
    assert.equal(updated?.event, 'conversation.updated');
    assert.equal((updated?.data as Json).id, conversation._id);
    client.close();
  });

  test('refuses another account, an unknown conversation and bad parameters; readers may listen', async () => {
    const foreign = await createCase(runtime.context.store, { account_id: GLOBEX });
    const other = await fetch(`${runtime.api}${eventsPath(foreign._id)}`, { headers: auth() });
    assert.equal(other.status, 404);
    assert.equal(
      ((await other.json()) as { error: { code: string } }).error.code,
      'resource_not_found',
    );
    const missing = await fetch(`${runtime.api}${eventsPath('cnv_nope')}`, { headers: auth() });
    assert.equal(missing.status, 404);
    const conversation = await createCase(runtime.context.store);
    const bad = await fetch(`${runtime.api}${eventsPath(conversation._id)}?since=1`, {
      headers: auth(),
    });
    assert.equal(bad.status, 400);
    const anonymous = await fetch(`${runtime.api}${eventsPath(conversation._id)}`);
    assert.equal(anonymous.status, 401);
    const reader = await SseClient.open(
      `${runtime.api}${eventsPath(conversation._id)}`,
      auth(READER_KEY),
    );
    clients.push(reader);
    assert.equal(reader.response.status, 200);
    reader.close();
  });

  test('unsubscribes when the last client of a conversation leaves', async () => {
    const conversation = await createCase(runtime.context.store);
    const first = await connect(conversation);
    const second = await connect(conversation);
    await subscribed(conversation);
    first.close();
    // The other client still listens: the subscription stays, and events still flow.
    await publisher.publish({ type: 'conversation.updated', conversation_id: conversation._id });
    await second.events(1);
    assert.equal(await subscribers(conversation), 1);
    second.close();
    await waitUntil(async () => (await subscribers(conversation)) === 0, { what: 'NUMSUB 0' });
    // A new client subscribes again.
    const third = await connect(conversation);
    await subscribed(conversation);
    third.close();
    await waitUntil(async () => (await subscribers(conversation)) === 0, {
      what: 'NUMSUB 0 again',
    });
  });

  describe('with a short heartbeat (an app of its own over the same store and Redis)', () => {
    let app: FastifyInstance;
    let base = '';

    before(async () => {
      const { store, queues, redis, logger } = runtime.context;
      app = await buildApp({
        logger,
        metrics: createMetrics(),
        authenticate: storeAuthenticator(store),
        readiness: {},
        routes: [
          ...messagingRoutes(store),
          ...agentApiRoutes({
            store,
            queues,
            redis,
            redisUrl: testRedisUrl(),
            prefix: runtime.prefix,
            logger,
            bootstrap: runtime.context.bootstrap,
            outbound: runtime.context.outbound.guard,
            secrets: runtime.context.secrets,
            heartbeatMs: 50,
          }),
        ],
      });
      base = await app.listen({ host: '127.0.0.1', port: 0 });
    });
    after(() => app.close());

    test('sends a heartbeat comment', async () => {
      const conversation = await createCase(runtime.context.store);
      const client = await connect(conversation, {}, { base });
      const ping = await client.next((f) => f.comment === 'ping', 'a heartbeat');
      assert.equal(ping.event, undefined);
      client.close();
    });

    test('closing the app ends open streams instead of waiting for them', async () => {
      const conversation = await createCase(runtime.context.store);
      const client = await connect(conversation, {}, { base });
      await subscribed(conversation);
      const started = Date.now();
      const closing = app.close();
      // The stream is ended by the close itself, not left for the server to wait out (an
      // open stream would hold close() forever); the bound leaves room for a loaded machine.
      await waitUntil(() => client.ended, { what: 'the stream to end', timeoutMs: 5_000 });
      assert.ok(Date.now() - started < 3_000, `ended promptly: ${Date.now() - started} ms`);
      await closing;
      await waitUntil(async () => (await subscribers(conversation)) === 0, { what: 'NUMSUB 0' });
    });
  });
});
