// Agents drafting against the OpenAI-compatible test server, through the
// real runtime: inbound mail (drop folder) triggers an always agent, the
// draft streams into a message, and the case parks in needs_approval.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  startOpenAiTestServer,
  tokensOf,
  type OpenAiScript,
  type OpenAiTestServer,
} from '../../support/services/openai-server.ts';
import { buildMail, newMessageId } from '../../support/mail-builder.ts';
import {
  TEST_API_KEY,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, checked by the assertions
}

const drop = mkdtempSync(join(tmpdir(), 'postroom-agent-drop-'));
let model: OpenAiTestServer;
let runtime: TestRuntime;
let fileCounter = 0;

before(async () => {
  model = await startOpenAiTestServer();
  runtime = await startTestRuntime({
    accounts: [
      {
        id: 'acme',
        name: 'Acme',
        api_keys: [
          {
            name: 'test',
            key: TEST_API_KEY,
            permissions: ['messaging:read', 'messaging:write', 'messaging:approve', 'admin'],
          },
        ],
        agents: [
          {
            id: 'drafter',
            name: 'Drafter',
            handle: 'drafter',
            provider: {
              type: 'openai',
              base_url: model.baseURL,
              api_key: 'sk-test',
              model: 'gpt-test',
            },
            instructions: 'You draft polite replies for Acme.',
            trigger_policy: 'always',
          },
        ],
        mailboxes: [
          {
            id: 'support',
            address: 'support@acme.test',
            drop_folder: drop,
            outbox_folder: mkdtempSync(join(tmpdir(), 'out-')),
            agents: ['drafter'],
          },
        ],
        agent_runs_per_conversation_per_hour: 50,
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

beforeEach(() => {
  model.setDefault({ kind: 'stream', tokens: tokensOf('Default reply.') });
});

function dropMail(raw: string): void {
  fileCounter += 1;
  writeFileSync(join(drop, `${fileCounter}.eml`), raw);
}

async function conversationOf(messageId: string): Promise<string> {
  const message = await waitUntil(
    () => runtime.context.store.messages.findByEmailMessageId('acme', 'support', messageId),
    { what: `inbound ${messageId}` },
  );
  return message.conversation_id;
}

/** The case moves just after its draft completes: wait for it. */
async function waitForWorkflow(conversationId: string, status: string): Promise<void> {
  await waitUntil(
    async () =>
      (await runtime.json<Json>(`/v1/messaging/conversations/${conversationId}`))
        .workflow_status === status,
    { what: `the case in ${status}` },
  );
}

async function messages(conversationId: string, status?: string): Promise<Json[]> {
  const query = status ? `&status=${status}` : '';
  return (
    await runtime.json<Json>(
      `/v1/messaging/conversations/${conversationId}/messages?limit=100${query}`,
    )
  ).data as Json[];
}

describe('streaming drafts', () => {
  test('an always agent drafts on inbound email; the case awaits approval; the run records usage and timings', async () => {
    const reply = 'Hello Jane, we are sorry about the delay. Your order ships tomorrow.';
    model.enqueue({ kind: 'stream', tokens: tokensOf(reply), delayMs: 5 });
    const id = newMessageId('always');
    dropMail(buildMail({ messageId: id, subject: 'Late order' }));
    const conversationId = await conversationOf(id);
    const draft = await waitUntil(
      async () =>
        (await messages(conversationId, 'draft')).find((m) => m.streaming_state === 'complete'),
      { what: 'a complete draft' },
    );
    assert.equal(draft.body, reply);
    assert.equal(draft.kind, 'agent');
    assert.equal(draft.visibility, 'external');
    assert.equal(draft.channel, 'email');
    assert.equal(draft.subject, 'Re: Late order');
    assert.equal(draft.sequence, null);
    await waitForWorkflow(conversationId, 'needs_approval');

    const trigger = await runtime.context.store.messages.findByEmailMessageId(
      'acme',
      'support',
      id,
    );
    const run = await runtime.context.store.agentRuns.findByTrigger(
      trigger?._id ?? '',
      'agt_acme_drafter',
    );
    assert.equal(run?.status, 'completed');
    assert.equal(run?.draft_message_id, draft.id);
    assert.equal(run?.model, 'gpt-test');
    assert.equal(run?.usage?.completion_tokens, tokensOf(reply).length);
    assert.ok((run?.usage?.prompt_tokens ?? 0) > 0);
    assert.ok(run?.timings.first_token_at && run.timings.completed_at);
    assert.ok(run.timings.first_token_at >= (run.timings.started_at ?? new Date(0)));
    assert.equal(run.instructions_version?.length, 12);
    assert.deepEqual(run.context_message_ids, [trigger?._id]);

    // The model saw the instructions and the customer's mail, delimited as untrusted data.
    const request = model.requests.at(-1);
    const sent = JSON.stringify(request?.body);
    assert.match(sent, /You draft polite replies for Acme/);
    assert.match(sent, /untrusted_customer_content/);
    assert.match(sent, /order #1234 has not arrived/);
    assert.equal(request?.headers.authorization, 'Bearer sk-test');
  });

  test('no run for an auto-reply', async () => {
    const id = newMessageId('auto');
    dropMail(
      buildMail({
        messageId: id,
        subject: 'Automatic reply: away',
        headers: { 'Auto-Submitted': 'auto-replied' },
      }),
    );
    const conversationId = await conversationOf(id);
    const marker = newMessageId('marker');
    model.enqueue({ kind: 'stream', tokens: tokensOf('Marker draft.') });
    dropMail(buildMail({ messageId: marker, subject: 'Marker' }));
    const markerConversation = await conversationOf(marker);
    await waitUntil(async () => (await messages(markerConversation, 'draft')).length > 0, {
      what: 'the marker draft',
    });
    const trigger = await runtime.context.store.messages.findByEmailMessageId(
      'acme',
      'support',
      id,
    );
    assert.equal(
      await runtime.context.store.agentRuns.findByTrigger(trigger?._id ?? '', 'agt_acme_drafter'),
      null,
    );
    assert.equal((await messages(conversationId, 'draft')).length, 0);
  });

  for (const [label, scripts, attempts] of [
    ['429 (Retry-After) then success', [{ kind: 'status', status: 429, retryAfter: 1 }], 2],
    [
      '500 twice then success',
      [
        { kind: 'status', status: 500 },
        { kind: 'status', status: 500 },
      ],
      3,
    ],
    [
      'a stream cut midway then success',
      [{ kind: 'cut', afterTokens: 3, tokens: tokensOf('This reply will be cut off here') }],
      2,
    ],
  ] as const) {
    test(`${label}: one complete draft with the final text`, async () => {
      const reply = `Recovered reply for ${label}.`;
      model.enqueue(...(scripts as unknown as OpenAiScript[]), {
        kind: 'stream',
        tokens: tokensOf(reply),
      });
      const id = newMessageId('retry');
      dropMail(buildMail({ messageId: id, subject: `Retry ${label}` }));
      const conversationId = await conversationOf(id);
      const draft = await waitUntil(
        async () =>
          (await messages(conversationId, 'draft')).find((m) => m.streaming_state === 'complete'),
        { what: 'the draft after retries', timeoutMs: 30_000 },
      );
      assert.equal(draft.body, reply);
      assert.equal(
        (await messages(conversationId, 'draft,rejected,superseded')).length,
        1,
        'one draft, reused across attempts',
      );
      const trigger = await runtime.context.store.messages.findByEmailMessageId(
        'acme',
        'support',
        id,
      );
      // The draft completes first, then the run records its end: wait for that write too.
      const run = await waitUntil(
        async () => {
          const found = await runtime.context.store.agentRuns.findByTrigger(
            trigger?._id ?? '',
            'agt_acme_drafter',
          );
          return found?.status === 'completed' ? found : null;
        },
        { what: 'the run to be recorded completed' },
      );
      assert.equal(run.attempts, attempts);
      if (label.startsWith('429')) {
        // Retry-After: 1 s between the refused request and the next one.
        const [refused, retried] = model.requests.slice(-2);
        assert.ok(
          (retried?.receivedAt.getTime() ?? 0) - (refused?.receivedAt.getTime() ?? 0) >= 950,
        );
      }
    });
  }

  test('a permanent failure rejects the draft, fails the run, posts an alert, and does not park the case', async () => {
    model.enqueue({ kind: 'status', status: 401 });
    const id = newMessageId('fail');
    dropMail(buildMail({ messageId: id, subject: 'Will fail' }));
    const conversationId = await conversationOf(id);
    const alert = await waitUntil(
      async () => (await messages(conversationId)).find((m) => m.kind === 'alert'),
      { what: 'the failure alert' },
    );
    assert.equal(alert.visibility, 'internal');
    assert.match(alert.body, /401/);
    const trigger = await runtime.context.store.messages.findByEmailMessageId(
      'acme',
      'support',
      id,
    );
    const run = await runtime.context.store.agentRuns.findByTrigger(
      trigger?._id ?? '',
      'agt_acme_drafter',
    );
    assert.equal(run?.status, 'failed');
    assert.equal((await messages(conversationId, 'draft')).length, 0);
    const conversation = await runtime.json<Json>(`/v1/messaging/conversations/${conversationId}`);
    assert.notEqual(conversation.workflow_status, 'needs_approval');
  });

  test('retries exhausted mid-stream: the half draft ends rejected with a reason', async () => {
    const cut = {
      kind: 'cut',
      afterTokens: 2,
      tokens: tokensOf('Half a reply that never ends'),
    } as const;
    model.enqueue(cut, cut, cut, cut);
    const id = newMessageId('exhaust');
    dropMail(buildMail({ messageId: id, subject: 'Never finishes' }));
    const conversationId = await conversationOf(id);
    const rejected = await waitUntil(async () => (await messages(conversationId, 'rejected'))[0], {
      what: 'the rejected draft',
      timeoutMs: 40_000,
    });
    assert.match(rejected.rejection?.reason ?? '', /cut|ended/);
    assert.equal((await messages(conversationId, 'draft')).length, 0);
    const conversation = await runtime.json<Json>(`/v1/messaging/conversations/${conversationId}`);
    assert.notEqual(conversation.workflow_status, 'needs_approval');
  });

  test('two customer messages in quick succession: one complete draft, the earlier superseded', async () => {
    const first = newMessageId('quick1');
    // The first draft streams slowly, so the second message arrives mid-stream.
    model.enqueue(
      {
        kind: 'stream',
        tokens: tokensOf('First draft, streaming slowly word by word for a while.'),
        delayMs: 200,
      },
      { kind: 'stream', tokens: tokensOf('Second draft answers both messages.') },
    );
    dropMail(buildMail({ messageId: first, subject: 'Quick succession' }));
    const conversationId = await conversationOf(first);
    await waitUntil(async () => (await messages(conversationId, 'draft')).length > 0, {
      what: 'the first draft to start',
    });
    const second = newMessageId('quick2');
    dropMail(
      buildMail({
        messageId: second,
        subject: 'Re: Quick succession',
        inReplyTo: first,
        references: [first],
        body: 'Also, the address changed.',
      }),
    );
    const done = await waitUntil(
      async () => {
        const drafts = await messages(conversationId, 'draft');
        const superseded = await messages(conversationId, 'superseded');
        return drafts.length === 1 &&
          drafts[0]?.streaming_state === 'complete' &&
          superseded.length >= 1
          ? drafts[0]
          : null;
      },
      { what: 'one complete draft and a superseded one', timeoutMs: 30_000 },
    );
    assert.equal(done.body, 'Second draft answers both messages.');
    await waitForWorkflow(conversationId, 'needs_approval');
  });
});
