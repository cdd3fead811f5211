// Trigger policies end to end (inbound mail and teammates' notes through the
// API) and the realtime stream of a draft: deltas arrive before the draft is
// complete and add up to its final body.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { conversationChannel } from '../../../src/realtime/events.ts';
import { buildMail, newMessageId } from '../../support/mail-builder.ts';
import {
  TEST_API_KEY,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import {
  startOpenAiTestServer,
  tokensOf,
  type OpenAiTestServer,
} from '../../support/services/openai-server.ts';
import { waitUntil } from '../../support/wait.ts';
import { SseClient } from '../api-agents/sse-client.ts';

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, checked by the assertions
}

const drop = mkdtempSync(join(tmpdir(), 'postroom-triggers-'));
let model: OpenAiTestServer;
let runtime: TestRuntime;
let files = 0;

const MENTIONER = 'agt_acme_mentioner';
const REFUNDS = 'agt_acme_refunds';

before(async () => {
  model = await startOpenAiTestServer();
  model.setDefault({ kind: 'stream', tokens: tokensOf('A drafted reply.') });
  const provider = {
    type: 'openai',
    base_url: model.baseURL,
    api_key: 'sk-test',
    model: 'gpt-test',
  };
  runtime = await startTestRuntime({
    accounts: [
      {
        id: 'acme',
        name: 'Acme',
        api_keys: [
          {
            name: 'test',
            key: TEST_API_KEY,
            permissions: ['messaging:read', 'messaging:write', 'admin'],
          },
        ],
        agents: [
          {
            id: 'mentioner',
            name: 'Helper Bot',
            handle: 'mentioner',
            provider,
            trigger_policy: 'mention',
          },
          {
            id: 'refunds',
            name: 'Refunds',
            handle: 'refunds',
            provider,
            trigger_policy: 'keyword',
            trigger_keywords: ['refund'],
          },
        ],
        mailboxes: [
          {
            id: 'support',
            address: 'support@acme.test',
            drop_folder: drop,
            outbox_folder: mkdtempSync(join(tmpdir(), 'out-')),
            agents: ['mentioner', 'refunds'],
          },
        ],
      },
    ],
  });
});

after(async () => {
  await runtime.stop();
  await model.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

/** Drops a mail file; resolves once its ingest is over (processed/), agent runs included. */
async function dropMail(raw: string): Promise<void> {
  files += 1;
  const name = `${files}.eml`;
  writeFileSync(join(drop, name), raw);
  // The file moves to processed/ (as <claim>-<name>) as the ingest job's last step, after
  // the message is stored and the runs it triggers are recorded: only then is the absence
  // of a run meaningful.
  const processed = join(drop, 'processed');
  await waitUntil(
    () => existsSync(processed) && readdirSync(processed).some((f) => f.endsWith(`-${name}`)),
    { what: `${name} ingested` },
  );
}

async function inbound(
  subject: string,
  body: string,
): Promise<{ conversation: string; message: string }> {
  const id = newMessageId('trig');
  await dropMail(buildMail({ messageId: id, subject, body }));
  const stored = await runtime.context.store.messages.findByEmailMessageId('acme', 'support', id);
  assert.ok(stored, `inbound ${subject} stored`);
  return { conversation: stored.conversation_id, message: stored._id };
}

async function note(conversation: string, body: string): Promise<Json> {
  const response = await runtime.request(`/v1/messaging/conversations/${conversation}/messages`, {
    method: 'POST',
    body: JSON.stringify({ body, visibility: 'internal', channel: 'message' }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as Json;
}

const runOf = (trigger: string, agent: string) =>
  runtime.context.store.agentRuns.findByTrigger(trigger, agent);

async function settled(conversation: string): Promise<void> {
  // Every run of the conversation has ended (completed, failed, canceled).
  await waitUntil(
    async () => (await runtime.context.store.agentRuns.listLive(conversation)).length === 0,
    {
      what: 'no live agent runs',
    },
  );
}

describe('trigger policies', () => {
  test('keyword: a whole-word keyword in a customer mail triggers; a longer word does not', async () => {
    const miss = await inbound('Question', 'Are refunds slow this week?');
    const hit = await inbound('Money back', 'I would like a Refund, please.');
    assert.ok(await runOf(hit.message, REFUNDS), 'the keyword run');
    await settled(hit.conversation);
    await settled(miss.conversation);
    assert.equal(await runOf(miss.message, REFUNDS), null);
    assert.equal(await runOf(hit.message, MENTIONER), null, 'the mention agent stays quiet');
  });

  test("mention: only a teammate's note that says @handle triggers it", async () => {
    const { conversation, message } = await inbound('Broken item', 'The lamp arrived broken.');
    assert.equal(await runOf(message, MENTIONER), null);
    const plain = await note(conversation, 'Checking the stock for this one.');
    const mention = await note(conversation, 'Can @mentioner draft an apology?');
    await waitUntil(() => runOf(mention.id, MENTIONER), { what: 'the mention run' });
    await settled(conversation);
    assert.equal(await runOf(plain.id, MENTIONER), null);
    const draft = await waitUntil(
      async () =>
        (
          (
            await runtime.json<Json>(
              `/v1/messaging/conversations/${conversation}/messages?status=draft`,
            )
          ).data as Json[]
        )[0],
      { what: 'the mention draft' },
    );
    assert.equal(draft.sender?.id ?? draft.sender_id, MENTIONER);
  });

  test('no run for agent, alert or auto-submitted messages', async () => {
    const { conversation } = await inbound('Auto', 'refund');
    await settled(conversation);
    const messages = (
      await runtime.json<Json>(`/v1/messaging/conversations/${conversation}/messages?limit=100`)
    ).data as Json[];
    for (const m of messages.filter((x) => x.kind === 'agent' || x.kind === 'alert')) {
      assert.equal(await runOf(m.id, REFUNDS), null);
      assert.equal(await runOf(m.id, MENTIONER), null);
    }
    const auto = newMessageId('auto');
    await dropMail(
      buildMail({
        messageId: auto,
        subject: 'Auto: refund',
        body: 'refund',
        headers: { 'Auto-Submitted': 'auto-replied' },
      }),
    );
    const stored = await runtime.context.store.messages.findByEmailMessageId(
      'acme',
      'support',
      auto,
    );
    assert.ok(stored, 'the auto-reply stored');
    await settled(stored.conversation_id);
    assert.equal(await runOf(stored._id, REFUNDS), null);
  });
});

describe('realtime', () => {
  test('an SSE client sees deltas before the draft completes, and they add up to the final body', async () => {
    const { conversation } = await inbound('Streaming please', 'Just a question.');
    await settled(conversation);
    const reply =
      'Thank you for your patience; a colleague will call you back within the hour about your order.';
    model.enqueue({ kind: 'stream', tokens: tokensOf(reply), delayMs: 15 });
    const sse = await SseClient.open(
      `${runtime.api}/v1/messaging/conversations/${conversation}/events`,
      {
        authorization: `Bearer ${TEST_API_KEY}`,
      },
    );
    try {
      assert.equal(sse.response.status, 200);
      // The headers come before the server's Redis SUBSCRIBE is confirmed: an event
      // published before then would never reach this client. Wait for the subscription.
      const channel = conversationChannel(runtime.prefix, conversation);
      await waitUntil(
        async () => {
          const [, count] = (await runtime.context.redis.pubsub('NUMSUB', channel)) as [
            string,
            number,
          ];
          return Number(count) === 1;
        },
        { what: 'the stream subscribed' },
      );
      await note(conversation, '@mentioner please reply');
      const created = await sse.next(
        (f) => f.event === 'message.created' && (f.data as Json)?.kind === 'agent',
        'the draft message.created',
      );
      const draftId = (created.data as Json).id as string;
      const completed = await sse.next(
        (f) =>
          f.event === 'message.updated' &&
          (f.data as Json)?.id === draftId &&
          (f.data as Json)?.streaming_state === 'complete',
        'the completed draft',
      );
      const deltas = sse.frames.filter(
        (f) => f.event === 'message.delta' && (f.data as Json)?.message_id === draftId,
      );
      const completedAt = sse.frames.indexOf(completed);
      assert.ok(deltas.length >= 5, `saw ${deltas.length} deltas`);
      assert.ok(
        sse.frames.indexOf(deltas[0] ?? completed) < completedAt,
        'deltas arrive before completion',
      );
      let body = '';
      for (const frame of deltas) {
        const delta = frame.data as Json;
        if (delta.reset) body = '';
        assert.equal(delta.offset, body.length, 'offsets are contiguous');
        body += delta.text;
      }
      assert.equal(body, reply);
      assert.equal((completed.data as Json).body, reply);
    } finally {
      sse.close();
    }
  });
});
