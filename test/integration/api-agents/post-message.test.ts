// POST /v1/messaging/conversations/{id}/messages through the real runtime:
// notes, in-conversation replies and scheduled email, their validation, the
// client_message_id dedupe, and the agent runs a posted note triggers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { conversationChannel } from '../../../src/realtime/events.ts';
import { createRedis } from '../../../src/queues/redis.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import type { ConversationRecord } from '../../../src/store/index.ts';
import { testRedisUrl } from '../../support/env.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';
import {
  DRAFTER,
  GLOBEX,
  HELPER,
  READER_KEY,
  REFUNDS,
  agentParticipant,
  createCase,
  errorOf,
  post,
  startAgentsRuntime,
  stopRuntime,
  type Json,
} from './helpers.ts';

let runtime: TestRuntime;
let conversation: ConversationRecord;

const messagesOf = (id: string) => `/v1/messaging/conversations/${id}/messages`;

async function postMessage(body: Record<string, unknown>, id = conversation._id) {
  return post(runtime, messagesOf(id), body);
}

async function created(body: Record<string, unknown>, id = conversation._id): Promise<Json> {
  const response = await postMessage(body, id);
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as Json;
}

describe('POST .../conversations/{id}/messages', () => {
  before(async () => {
    runtime = await startAgentsRuntime();
    conversation = await createCase(runtime.context.store, {
      participants: [
        agentParticipant(DRAFTER, 'always'),
        agentParticipant(HELPER, 'mention'),
        agentParticipant(REFUNDS, 'keyword'),
      ],
    });
  });
  after(() => stopRuntime(runtime));

  test('an internal note is sent at once with the next sequence, authored by the key', async () => {
    const first = await created({
      body: 'Checking the warehouse.',
      visibility: 'internal',
      channel: 'message',
    });
    const second = await created({ body: 'Found it.', visibility: 'internal', channel: 'message' });
    assert.equal(first.status, 'sent');
    assert.equal(first.kind, 'chat');
    assert.equal(first.visibility, 'internal');
    assert.equal(first.channel, 'message');
    assert.equal(second.sequence, (first.sequence as number) + 1);
    const key = await runtime.context.store.apiKeys.findByToken('pk_test_runtime_key_0001');
    assert.equal(first.author_id, key?.actor_id);
    assert.equal(first.sender_id, key?.actor_id);
    // Expandable (the seed): null unless include[] names it.
    assert.equal(first.author, null);
    assert.equal(first.object, 'chat_message');
    assert.equal(first.conversation_id, conversation._id);
  });

  test('the note wakes the always agent; mention and keyword agents only when called', async () => {
    const { agentRuns } = runtime.context.store;
    const plain = await created({
      body: 'Just a note.',
      visibility: 'internal',
      channel: 'message',
    });
    assert.ok(await agentRuns.findByTrigger(plain.id, DRAFTER), 'the always agent runs');
    assert.equal(await agentRuns.findByTrigger(plain.id, HELPER), null);
    assert.equal(await agentRuns.findByTrigger(plain.id, REFUNDS), null);

    const mention = await created({
      body: '@helper can you look up the order?',
      visibility: 'internal',
      channel: 'message',
    });
    const run = await agentRuns.findByTrigger(mention.id, HELPER);
    assert.equal(run?.status, 'queued');
    assert.equal(run?.conversation_id, conversation._id);
    assert.equal(await agentRuns.findByTrigger(mention.id, REFUNDS), null);

    const keyword = await created({
      body: 'They want a Refund.',
      visibility: 'internal',
      channel: 'message',
    });
    assert.ok(await agentRuns.findByTrigger(keyword.id, REFUNDS));
    assert.equal(await agentRuns.findByTrigger(keyword.id, HELPER), null);
  });

  test('an external chat message is delivered in-conversation and moves the case', async () => {
    const store = runtime.context.store;
    const fresh = await createCase(store, { workflow_status: 'open' });
    const message = await created(
      { body: 'Your parcel ships today.', visibility: 'external', channel: 'message' },
      fresh._id,
    );
    assert.equal(message.status, 'sent');
    assert.equal(message.sequence, 1);
    assert.equal(message.visibility, 'external');
    const after = await store.conversations.get(fresh.account_id, fresh._id);
    assert.equal(after?.workflow_status, 'waiting_external');
    assert.equal(after?.last_message_id, message.id);
  });

  test('an external email is scheduled without a sequence, with a Re: subject', async () => {
    const before = Date.now();
    const message = await created({
      body: 'Dear Jane, ...',
      visibility: 'external',
      channel: 'email',
    });
    assert.equal(message.status, 'scheduled');
    assert.equal(message.sequence, null);
    assert.equal(message.channel, 'email');
    assert.equal(message.kind, 'chat');
    assert.equal(message.subject, 'Re: Where is my order?');
    const at = Date.parse(message.scheduled_at as string);
    assert.ok(at >= before - 5 && at <= Date.now() + 5, 'scheduled now');
    // The delivery job waits for the delivery role.
    const job = await runtime.context.queues
      .queue('message.deliver')
      .getJob(`deliver-${message.id}`);
    assert.ok(job, 'a message.deliver job is queued');
    // Not in the timeline: no agent wakes for an unsent reply.
    assert.equal(await runtime.context.store.agentRuns.findByTrigger(message.id, DRAFTER), null);
  });

  test('an email keeps a given subject and future time; a past time means now', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const future = await created({
      body: 'Following up.',
      visibility: 'external',
      channel: 'email',
      subject: 'Your order #42',
      scheduled_at: later,
    });
    assert.equal(future.subject, 'Your order #42');
    assert.equal(future.scheduled_at, later);

    const before = Date.now();
    const past = await created({
      body: 'Sorry for the wait.',
      visibility: 'external',
      channel: 'email',
      scheduled_at: '2020-01-01T00:00:00+02:00',
    });
    assert.ok(Date.parse(past.scheduled_at as string) >= before - 5);
  });

  test('validation: internal email 422, CR/LF subject 400, no mailbox 422, bad fields 400', async () => {
    const internalEmail = await postMessage({
      body: 'x',
      visibility: 'internal',
      channel: 'email',
    });
    assert.equal(internalEmail.status, 422);
    assert.equal((await errorOf(internalEmail)).code, 'internal_email');

    const crlf = await postMessage({
      body: 'x',
      visibility: 'external',
      channel: 'email',
      subject: 'Hi\r\nBcc: victim@example.com',
    });
    assert.equal(crlf.status, 400);
    assert.match((await errorOf(crlf)).message, /^body\.subject: /);

    const chat = await createCase(runtime.context.store, {
      mailbox_id: null,
      audience: 'internal',
      workflow_status: null,
    });
    const noMailbox = await postMessage(
      { body: 'x', visibility: 'external', channel: 'email' },
      chat._id,
    );
    assert.equal(noMailbox.status, 422);
    assert.equal((await errorOf(noMailbox)).code, 'no_mailbox');

    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ body: '', visibility: 'internal', channel: 'message' }, /^body\.body: /],
      [
        { body: '   ', visibility: 'internal', channel: 'message' },
        /^body\.body: must not be blank/,
      ],
      [{ body: 'x'.repeat(100_001), visibility: 'internal', channel: 'message' }, /^body\.body: /],
      [{ body: 'x', visibility: 'system', channel: 'message' }, /^body\.visibility: /],
      [{ body: 'x', visibility: 'internal', channel: 'fax' }, /^body\.channel: /],
      [
        { body: 'x', visibility: 'external', channel: 'email', scheduled_at: 'tomorrow' },
        /^body\.scheduled_at: /,
      ],
      [
        {
          body: 'x',
          visibility: 'internal',
          channel: 'message',
          client_message_id: 'c'.repeat(256),
        },
        /^body\.client_message_id: /,
      ],
      [{ body: 'x', visibility: 'internal', channel: 'message', extra: 1 }, /^body: /],
    ];
    for (const [body, pattern] of cases) {
      const response = await postMessage(body);
      assert.equal(response.status, 400, JSON.stringify(body).slice(0, 80));
      assert.match((await errorOf(response)).message, pattern);
    }
    const subjectOnChat = await postMessage({
      body: 'x',
      visibility: 'internal',
      channel: 'message',
      subject: 'Hi',
    });
    assert.equal(subjectOnChat.status, 422);
    assert.equal((await errorOf(subjectOnChat)).code, 'not_an_email');
  });

  test('client_message_id: a repeat answers 200 with the message stored first', async () => {
    const body = {
      body: 'Only once',
      visibility: 'internal',
      channel: 'message',
      client_message_id: 'c-1',
    };
    const first = await created(body);
    const again = await postMessage({ ...body, body: 'Only once (retry)' });
    assert.equal(again.status, 200);
    const replayed = (await again.json()) as Json;
    assert.equal(replayed.id, first.id);
    assert.equal(replayed.body, 'Only once');
    assert.equal(replayed.client_message_id, 'c-1');

    // Concurrent first posts settle on one message too (the unique index decides).
    const racing = {
      ...body,
      client_message_id: 'c-race',
      visibility: 'external',
      channel: 'email',
    };
    const answers = await Promise.all([
      postMessage(racing),
      postMessage(racing),
      postMessage(racing),
    ]);
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 201]);
    const ids = new Set(await Promise.all(answers.map(async (r) => ((await r.json()) as Json).id)));
    assert.equal(ids.size, 1);
    // The same client id in another conversation is another message.
    const other = await createCase(runtime.context.store);
    const elsewhere = await created(body, other._id);
    assert.notEqual(elsewhere.id, first.id);
  });

  test('publishes message.created and conversation.updated', async () => {
    const subscriber = createRedis(testRedisUrl(), 'subscriber', createLogger('silent'));
    const seen: string[] = [];
    try {
      const channel = conversationChannel(runtime.prefix, conversation._id);
      await subscriber.subscribe(channel);
      subscriber.on('message', (_channel, payload) => {
        seen.push((JSON.parse(payload) as { event: { type: string } }).event.type);
      });
      const message = await created({
        body: 'Published',
        visibility: 'internal',
        channel: 'message',
      });
      await waitUntil(() => seen.length >= 2, { what: 'two events' });
      assert.deepEqual(seen, ['message.created', 'conversation.updated']);
      assert.ok(message.id);
    } finally {
      subscriber.disconnect();
    }
  });

  test('legal hold and redaction do not stop posting; unknown, foreign and forbidden are refused', async () => {
    const store = runtime.context.store;
    const held = await createCase(store);
    await store.conversations.setLegalHold(held.account_id, held._id, 'held');
    await created({ body: 'Still allowed', visibility: 'internal', channel: 'message' }, held._id);
    const redacted = await createCase(store);
    const redact = await post(
      runtime,
      `/v1/messaging/conversations/${redacted._id}/actions/redact`,
      {},
    );
    assert.equal(redact.status, 200);
    await created(
      { body: 'After erasure', visibility: 'internal', channel: 'message' },
      redacted._id,
    );

    const missing = await postMessage(
      { body: 'x', visibility: 'internal', channel: 'message' },
      'cnv_nope',
    );
    assert.equal(missing.status, 404);
    const foreign = await createCase(store, { account_id: GLOBEX });
    const other = await postMessage(
      { body: 'x', visibility: 'internal', channel: 'message' },
      foreign._id,
    );
    assert.equal(other.status, 404);
    const reader = await post(
      runtime,
      messagesOf(conversation._id),
      { body: 'x', visibility: 'internal', channel: 'message' },
      READER_KEY,
    );
    assert.equal(reader.status, 403);
  });

  test('Idempotency-Key replays the 201 without a second message', async () => {
    const init = {
      method: 'POST',
      headers: { 'idempotency-key': 'idem-post-1' },
      body: JSON.stringify({ body: 'Idempotent', visibility: 'internal', channel: 'message' }),
    };
    const first = await runtime.request(messagesOf(conversation._id), init);
    const second = await runtime.request(messagesOf(conversation._id), init);
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.equal(((await first.json()) as Json).id, ((await second.json()) as Json).id);
  });
});
