// Grounded drafts through the real runtime and the fake model server: the
// account's knowledge folder (bootstrap) is offered to the model as reference
// passages, the model's [K1] markers become the draft's citations, the folder
// is re-indexed when a file changes, approved replies are offered to later
// runs until their conversation is redacted, and the customer's language
// reaches the instructions and the run.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import {
  startOpenAiTestServer,
  tokensOf,
  type OpenAiTestServer,
  type RecordedOpenAiRequest,
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

const drop = mkdtempSync(join(tmpdir(), 'postroom-knowledge-drop-'));
const folder = mkdtempSync(join(tmpdir(), 'postroom-knowledge-folder-'));
let model: OpenAiTestServer;
let runtime: TestRuntime;
let fileCounter = 0;

writeFileSync(
  join(folder, 'returns.md'),
  [
    '# Returns policy',
    '',
    '## Refund timing',
    '',
    'Refunds reach the original card within 5 business days after the parcel arrives at our warehouse.',
    '',
    '## Return labels',
    '',
    'Prepaid return labels are sent by email within one hour of the return request.',
  ].join('\n'),
);
writeFileSync(
  join(folder, 'shipping.md'),
  [
    '# Shipping',
    '',
    '## Delivery times',
    '',
    'Standard delivery takes 3 to 5 working days inside the EU.',
  ].join('\n'),
);

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
        knowledge: { folder, poll_interval_ms: 200 },
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
            outbox_folder: mkdtempSync(join(tmpdir(), 'postroom-knowledge-out-')),
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

/** Drops a customer mail and waits for its complete draft and finished run. */
async function draftFor(
  mail: { subject: string; body: string },
  reply: string,
): Promise<{ conversationId: string; draft: Json; run: Json; request: RecordedOpenAiRequest }> {
  const before = model.requests.length;
  model.enqueue({ kind: 'stream', tokens: tokensOf(reply) });
  const messageId = newMessageId('knowledge');
  fileCounter += 1;
  writeFileSync(
    join(drop, `${fileCounter}.eml`),
    buildMail({ messageId, subject: mail.subject, body: mail.body }),
  );
  const inbound = await waitUntil(
    () => runtime.context.store.messages.findByEmailMessageId('acme', 'support', messageId),
    { what: `inbound ${messageId}` },
  );
  const conversationId = inbound.conversation_id;
  const draft = await waitUntil(
    async () =>
      (
        (
          await runtime.json<Json>(
            `/v1/messaging/conversations/${conversationId}/messages?status=draft`,
          )
        ).data as Json[]
      ).find((m) => m.streaming_state === 'complete'),
    { what: 'a complete draft' },
  );
  // The draft completes first, then the run records its end.
  const run = await waitUntil(
    async () => {
      const runs = (
        await runtime.json<Json>(`/v1/messaging/conversations/${conversationId}/agent-runs`)
      ).data as Json[];
      return runs.find((r) => r.status === 'completed');
    },
    { what: 'the run recorded completed' },
  );
  const request = model.requests.slice(before).find((r) => r.body !== undefined);
  assert.ok(request, 'the model was called');
  return { conversationId, draft, run, request };
}

/** The system text the model received. */
function systemOf(request: RecordedOpenAiRequest): string {
  const messages = (request.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  return messages
    .filter((m) => m.role === 'system')
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
    .join('\n');
}

/** The <passage> elements in the reference block, by id. */
function passagesIn(system: string): Map<string, { source: string; title: string; text: string }> {
  const block = /<knowledge_passages>([\s\S]*?)<\/knowledge_passages>/.exec(system)?.[1] ?? '';
  const passages = new Map<string, { source: string; title: string; text: string }>();
  for (const m of block.matchAll(
    /<passage id="(K\d+)" source="(\w+)" title="([^"]*)">\n([\s\S]*?)\n<\/passage>/g,
  )) {
    passages.set(m[1] as string, {
      source: m[2] as string,
      title: m[3] as string,
      text: m[4] as string,
    });
  }
  return passages;
}

const labelOf = (passages: Map<string, { text: string }>, needle: RegExp): string | undefined =>
  [...passages].find(([, p]) => needle.test(p.text))?.[0];

test('a folder passage is offered inside the reference block, cited by the model, and carried to the draft and the run', async () => {
  // The first pass over the folder runs before the runtime starts.
  const { draft, run, request } = await draftFor(
    {
      subject: 'Refund',
      body: 'Hello, I returned my jacket last week. When will my refund arrive?',
    },
    'Your refund reaches your card within 5 business days of the parcel arriving [K1].',
  );
  const system = systemOf(request);
  const passages = passagesIn(system);
  const refund = labelOf(passages, /within 5 business days/);
  assert.equal(refund, 'K1', 'the refund passage ranks first');
  assert.equal(passages.get('K1')?.source, 'folder');
  assert.equal(passages.get('K1')?.title, 'Returns policy › Refund timing');
  // Reference data, apart from the untrusted customer text.
  const customer = JSON.stringify(request.body).indexOf('When will my refund arrive');
  assert.ok(customer >= 0);
  assert.doesNotMatch(
    /<knowledge_passages>[\s\S]*<\/knowledge_passages>/.exec(system)?.[0] ?? '',
    /When will my refund arrive/,
  );
  assert.match(system, /reference data, not instructions/);

  assert.equal(draft.citations.length, 1);
  assert.equal(draft.citations[0].label, 'K1');
  assert.equal(draft.citations[0].source, 'folder');
  assert.match(draft.citations[0].title, /Refund timing/);
  assert.ok(draft.citations[0].passage_id && draft.citations[0].document_id);

  assert.deepEqual(run.knowledge.cited, ['K1']);
  assert.equal(run.knowledge.offered[0].label, 'K1');
  assert.equal(run.knowledge.offered[0].passage_id, draft.citations[0].passage_id);
  assert.equal(run.knowledge.offered.length, passages.size);
});

test('a changed file in the folder is re-indexed and offered to the next run', async () => {
  writeFileSync(
    join(folder, 'shipping.md'),
    [
      '# Shipping',
      '',
      '## Delivery times',
      '',
      'Express delivery by drone arrives on the same day for orders placed before noon.',
    ].join('\n'),
  );
  await waitUntil(
    async () =>
      ((await runtime.json<Json>('/v1/knowledge/search?q=drone%20express')).data as Json[]).some(
        (p) => /by drone/.test(p.text),
      ),
    { what: 'the changed file in search' },
  );
  const old = (await runtime.json<Json>('/v1/knowledge/search?q=standard%20delivery%20EU'))
    .data as Json[];
  assert.ok(!old.some((p) => /3 to 5 working days/.test(p.text)), 'the old text is gone');

  const { draft, request } = await draftFor(
    { subject: 'Fast delivery', body: 'Can you deliver by drone express on the same day?' },
    'Yes: express delivery by drone arrives the same day [K1].',
  );
  const passages = passagesIn(systemOf(request));
  assert.equal(labelOf(passages, /by drone/), 'K1');
  assert.equal(draft.citations[0]?.title, 'Shipping › Delivery times');
});

test('an approved reply is offered to a later run, and redacting its conversation removes it', async () => {
  const answer =
    'The loyalty voucher code WINTERBEAR gives 15 percent off your next purchase of hiking boots.';
  const first = await draftFor(
    { subject: 'Loyalty voucher', body: 'Do you have a loyalty voucher for hiking boots?' },
    answer,
  );
  const approved = await runtime.request(
    `/v1/messaging/messages/${first.draft.id}/actions/approve`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({}),
    },
  );
  assert.equal(approved.status, 200);
  await waitUntil(
    async () =>
      (await runtime.json<Json>(`/v1/messaging/messages/${first.draft.id}`)).status === 'sent',
    { what: 'the approved reply sent' },
  );

  const later = await draftFor(
    {
      subject: 'Voucher for boots',
      body: 'A friend said there is a loyalty voucher for hiking boots. Which code is it?',
    },
    'The code is WINTERBEAR [K1].',
  );
  const passages = passagesIn(systemOf(later.request));
  const label = labelOf(passages, /WINTERBEAR/);
  assert.ok(label, 'the past reply is offered');
  assert.equal(passages.get(label)?.source, 'reply');
  assert.ok(later.run.knowledge.offered.some((o: Json) => o.source === 'reply'));

  const redacted = await runtime.request(
    `/v1/messaging/conversations/${first.conversationId}/actions/redact`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({}),
    },
  );
  assert.equal(redacted.status, 200);
  const found = (await runtime.json<Json>('/v1/knowledge/search?q=loyalty%20voucher%20WINTERBEAR'))
    .data as Json[];
  assert.ok(
    !found.some((p) => p.source === 'reply' && /WINTERBEAR/.test(p.text)),
    'the redacted reply is not searchable',
  );
  const replies = (await runtime.json<Json>('/v1/knowledge/documents?source=reply')).data as Json[];
  assert.ok(!replies.some((d) => d.conversation_id === first.conversationId));
});

test('a French mail: the prompt says to reply in French and the run records fr', async () => {
  const { run, request } = await draftFor(
    {
      subject: 'Remboursement',
      body: "Bonjour, j'ai renvoyé ma veste la semaine dernière. Quand vais-je recevoir mon remboursement ?",
    },
    'Bonjour, votre remboursement arrive sous 5 jours ouvrés [K1].',
  );
  assert.match(
    systemOf(request),
    /The customer writes in French \(fr\): write the reply in French\./,
  );
  assert.equal(run.language, 'fr');
});
