// bench/drafts: draft quality against a small fixed knowledge base
// (bench/drafts/data/kb, 15 Markdown documents) and 30 support mails
// (bench/drafts/data/mails.json), each naming the passages a human marked as
// relevant ("<file>#<section heading>") and a scripted answer citing them.
//
// Retrieval: recall@5 of the marked passages through the real src/knowledge
// index (the query a run builds: the mail's body, its subject at half
// weight). Baseline, same passages: a plain keyword ranking (the number of
// distinct words a passage shares with the mail). Then the full draft path:
// each mail dropped into a mailbox, the run grounded on the folder, the model
// test server answering as a model reading its prompt (each [[passage]] of the
// scripted answer becomes the id the passage was offered under, e.g. [K2]),
// and the draft's citations read back through the API. One mail has the model
// call a read-only tool on a local tool server first.
//
//   node --import tsx bench/drafts.ts
//
// Needs Redis (REDIS_URL, default redis://127.0.0.1:6379); MongoDB is
// MONGODB_URI when set, else the embedded store in this process.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chunkDocument, titleOf, type Passage } from '../src/knowledge/chunk.ts';
import { createKnowledgeIndex } from '../src/knowledge/knowledge-index.ts';
import { buildMail, newMessageId } from '../test/support/mail-builder.ts';
import { TEST_API_KEY, type TestRuntime } from '../test/support/runtime.ts';
import {
  startOpenAiTestServer,
  tokensOf,
  type OpenAiTestServer,
} from '../test/support/services/openai-server.ts';
import { startToolServer } from '../test/support/services/tool-server.ts';
import { waitUntil } from '../test/support/wait.ts';
import { startBenchServices } from './support/services.ts';
import { fixed, now } from './support/stats.ts';

interface BenchMail {
  id: string;
  subject: string;
  body: string;
  relevant: string[];
  answer: string;
  tool?: { name: string; arguments: string };
}

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, read by the report
}

const DATA = join(import.meta.dirname, 'drafts', 'data');
const KB = join(DATA, 'kb');
const ACCOUNT = 'acme';
const K = 5;
// The prompt budget agent runs are given (src/agents/agent-worker.ts), and the
// share of it retrieval may take (src/knowledge/ground-run.ts).
const TOKEN_BUDGET = 12_000;
const REFERENCE_SHARE = 0.35;

const mails = JSON.parse(readFileSync(join(DATA, 'mails.json'), 'utf8')) as BenchMail[];

/** A passage's bench key: its file and its own (innermost) heading. */
const keyOf = (path: string, passage: Pick<Passage, 'headings'>): string =>
  `${path}#${passage.headings.split(' › ').at(-1) ?? ''}`;

function loadKnowledgeBase(): Array<{ key: string; passage: Passage }> {
  return readdirSync(KB)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .flatMap((file) => {
      const content = readFileSync(join(KB, file), 'utf8');
      return chunkDocument({
        _id: file,
        source: 'folder',
        title: titleOf('markdown', content, file),
        format: 'markdown',
        content,
      }).map((passage) => ({ key: keyOf(file, passage), passage }));
    });
}

const words = (text: string): Set<string> => new Set(text.toLowerCase().match(/\p{L}+/gu) ?? []);

/** The baseline: passages by the count of distinct words shared with the mail. */
function keywordTop(
  mail: BenchMail,
  passages: ReadonlyArray<{ key: string; passage: Passage }>,
): string[] {
  const query = words(`${mail.subject} ${mail.body}`);
  return passages
    .map(({ key, passage }) => {
      const own = words(`${passage.title} ${passage.headings} ${passage.text}`);
      let shared = 0;
      for (const word of query) if (own.has(word)) shared += 1;
      return { key, shared };
    })
    .sort((a, b) => b.shared - a.shared)
    .slice(0, K)
    .map((r) => r.key);
}

function recall(relevant: readonly string[], top: readonly string[]): number {
  return relevant.filter((key) => top.includes(key)).length / relevant.length;
}

const mean = (values: readonly number[]): number =>
  values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** The passage ids and titles of the reference block the model received. */
function offeredIn(body: Record<string, unknown>): Map<string, string> {
  const messages = (body.messages ?? []) as Array<{ role: string; content: unknown }>;
  const system = messages
    .filter((m) => m.role === 'system')
    .map((m) => String(m.content))
    .join('\n');
  const offered = new Map<string, string>();
  for (const m of system.matchAll(/<passage id="(K\d+)" source="\w+" title="([^"]*)">/g))
    offered.set(m[2] as string, m[1] as string);
  return offered;
}

function config(modelUrl: string, toolUrl: string, dir: string): unknown {
  return {
    accounts: [
      {
        id: ACCOUNT,
        name: 'Acme Outfitters',
        api_keys: [
          {
            name: 'bench',
            key: TEST_API_KEY,
            permissions: ['messaging:read', 'messaging:write', 'messaging:approve', 'admin'],
          },
        ],
        // Past replies off: every mail is answered from the fixed base alone.
        knowledge: { folder: KB, past_replies: false },
        agents: [
          {
            id: 'drafter',
            name: 'Drafter',
            handle: 'drafter',
            provider: { type: 'openai', base_url: modelUrl, api_key: 'x', model: 'bench' },
            instructions: 'You draft replies for Acme Outfitters, an outdoor gear shop.',
            trigger_policy: 'always',
            max_tool_calls: 2,
            tools: [
              {
                name: 'lookup_order',
                description: 'Look up an order by id',
                parameters: {
                  type: 'object',
                  properties: { order_id: { type: 'string' } },
                  required: ['order_id'],
                  additionalProperties: false,
                },
                url: `${toolUrl}/orders`,
                method: 'GET',
                read_only: true,
              },
            ],
          },
        ],
        mailboxes: [
          {
            id: 'support',
            address: 'support@acme.test',
            drop_folder: join(dir, 'drop'),
            outbox_folder: join(dir, 'outbox'),
            agents: ['drafter'],
          },
        ],
        agent_runs_per_conversation_per_hour: 1000,
      },
    ],
  };
}

interface DraftResult {
  mail: BenchMail;
  /** The labels the scripted model wrote, with the title of each. */
  written: Map<string, string>;
  draft: Json;
  run: Json;
  toolResultSeen: boolean;
  /** The reference block's part of the prompt's characters. */
  referenceShare: number;
}

async function draftMail(
  runtime: TestRuntime,
  model: OpenAiTestServer,
  titles: Map<string, string>,
  mail: BenchMail,
  index: number,
  drop: string,
): Promise<DraftResult> {
  const written = new Map<string, string>();
  let toolResultSeen = false;
  let referenceShare = 0;
  if (mail.tool) {
    model.enqueue({
      kind: 'tool_calls',
      calls: [{ id: `call_${mail.id}`, name: mail.tool.name, arguments: mail.tool.arguments }],
    });
  }
  model.enqueue({
    kind: 'respond',
    respond: (body) => {
      const offered = offeredIn(body);
      const prompt = JSON.stringify(body.messages ?? []);
      const block = /<knowledge_passages>[\s\S]*?<\/knowledge_passages>/.exec(prompt)?.[0] ?? '';
      referenceShare = block.length / prompt.length;
      const messages = (body.messages ?? []) as Array<{ role: string; content: unknown }>;
      toolResultSeen = messages.some(
        (m) => m.role === 'tool' && String(m.content).includes('shipped'),
      );
      // A passage that was not offered cannot be cited: its marker is dropped.
      const text = mail.answer.replace(/\s*\[\[([^\]]+)\]\]/g, (_, key: string) => {
        const title = titles.get(key);
        const label = title ? offered.get(title) : undefined;
        if (!label || !title) return '';
        written.set(label, title);
        return ` [${label}]`;
      });
      return { kind: 'stream', tokens: tokensOf(text) };
    },
  });
  const messageId = newMessageId(mail.id);
  writeFileSync(
    join(drop, `${index}.eml`),
    buildMail({ messageId, subject: mail.subject, body: mail.body }),
  );
  const inbound = await waitUntil(
    () => runtime.context.store.messages.findByEmailMessageId(ACCOUNT, 'support', messageId),
    { what: `mail ${mail.id} stored`, timeoutMs: 60_000 },
  );
  const run = await waitUntil(
    async () =>
      (
        (
          await runtime.json<Json>(
            `/v1/messaging/conversations/${inbound.conversation_id}/agent-runs`,
          )
        ).data as Json[]
      ).find((r) => r.status === 'completed' || r.status === 'failed'),
    { what: `the run for ${mail.id}`, timeoutMs: 60_000 },
  );
  const draft = run.draft_message_id
    ? await runtime.json<Json>(`/v1/messaging/messages/${run.draft_message_id}`)
    : {};
  return { mail, written, draft, run, toolResultSeen, referenceShare };
}

async function main(): Promise<void> {
  const started = now();
  const passages = loadKnowledgeBase();
  const keys = new Set(passages.map((p) => p.key));
  for (const mail of mails)
    for (const key of mail.relevant)
      if (!keys.has(key)) throw new Error(`${mail.id}: no passage "${key}" in the knowledge base`);
  // What the reference block calls each passage: the title the approver sees.
  const titles = new Map(
    passages.map(({ key, passage }) => [
      key,
      passage.headings.startsWith(passage.title)
        ? passage.headings
        : `${passage.title} › ${passage.headings}`,
    ]),
  );

  const services = await startBenchServices();
  const model = await startOpenAiTestServer();
  const tools = await startToolServer();
  tools.on('/orders', (req) => ({
    status: 200,
    json: { order_id: req.query.order_id, status: 'shipped', eta: 'Monday' },
  }));
  try {
    const drop = join(services.scratch, 'drop');
    mkdirSync(drop, { recursive: true });
    mkdirSync(join(services.scratch, 'outbox'), { recursive: true });
    const runtime = await services.startRuntime(
      config(model.baseURL, tools.url, services.scratch),
      'all',
      // The tool server listens on loopback, which tools may not reach unless allowed.
      { POSTROOM_OUTBOUND_ALLOW: '127.0.0.1' },
    );

    // Retrieval, through the real index over the folder as the runtime stored it.
    const docs = await runtime.context.store.knowledge.all(ACCOUNT);
    const pathOf = new Map(docs.map((d) => [d._id, d.path ?? '']));
    const index = createKnowledgeIndex(runtime.context.store, { pastReplies: () => false });
    const ours: number[] = [];
    const baseline: number[] = [];
    const misses: string[] = [];
    for (const mail of mails) {
      const hits = await index.search(ACCOUNT, { text: mail.body, thread: mail.subject }, K);
      const top = hits.map((h) => keyOf(pathOf.get(h.document_id) ?? '', h));
      ours.push(recall(mail.relevant, top));
      baseline.push(recall(mail.relevant, keywordTop(mail, passages)));
      const missed = mail.relevant.filter((key) => !top.includes(key));
      if (missed.length) misses.push(`${mail.id}: ${missed.join(', ')}`);
    }

    // The full draft path, one mail at a time.
    const results: DraftResult[] = [];
    for (const [i, mail] of mails.entries())
      results.push(await draftMail(runtime, model, titles, mail, i, drop));

    const offeredRecall = mean(
      results.map(({ mail, run }) =>
        recall(
          mail.relevant,
          ((run.knowledge?.offered ?? []) as Json[]).map((o) => {
            const title = String(o.title);
            return [...titles].find(([, t]) => t === title)?.[0] ?? '';
          }),
        ),
      ),
    );
    let written = 0;
    let carried = 0;
    for (const { written: labels, draft, run } of results) {
      written += labels.size;
      for (const [label, title] of labels) {
        const citation = ((draft.citations ?? []) as Json[]).find((c) => c.label === label);
        if (
          citation?.title === title &&
          citation.source === 'folder' &&
          (run.knowledge?.cited ?? []).includes(label)
        )
          carried += 1;
      }
    }
    const toolRun = results.find((r) => r.mail.tool);
    const call = (toolRun?.run.tool_calls ?? [])[0] as Json | undefined;
    const toolOk =
      call?.status === 'succeeded' &&
      tools.requests.some((r) => r.query.order_id === 'A-1042') &&
      toolRun?.toolResultSeen === true &&
      /A-1042 has shipped/.test(String(toolRun.draft.body));
    const prompts = results.map((r) => Number(r.run.usage?.prompt_tokens ?? Number.NaN));
    const shares = results.map((r) => r.referenceShare);
    const completed = results.filter((r) => r.run.status === 'completed').length;
    const overBudget = prompts.filter((p) => !(p <= TOKEN_BUDGET)).length;

    const recallOurs = mean(ours);
    const recallBase = mean(baseline);
    console.log(`knowledge base: ${passages.length} passages in ${docs.length} documents`);
    console.log(`mails: ${mails.length} (${completed} drafted)\n`);
    console.log(
      `recall@${K} (src/knowledge index): ${fixed(recallOurs, 3)}  (target >= 0.8: ${recallOurs >= 0.8 ? 'met' : 'NOT met'})`,
    );
    console.log(`recall@${K} (keyword baseline):     ${fixed(recallBase, 3)}`);
    console.log(`ratio to baseline:                 ${fixed(recallOurs / recallBase, 2)}x`);
    console.log(`recall of the passages offered in the runs: ${fixed(offeredRecall, 3)}`);
    if (misses.length) console.log(`missed: ${misses.join('; ')}`);
    console.log(
      `\ncitations carried through: ${carried}/${written} (${fixed((100 * carried) / Math.max(1, written), 1)}%)` +
        ' (label, title and source on the draft, label on the run)',
    );
    console.log(
      `tool round trip (${call?.name ?? 'none'}): ${toolOk ? 'ok' : 'FAILED'}` +
        (call
          ? `, ${call.duration_ms} ms at the tool, result back to the model and in the draft`
          : ''),
    );
    console.log(
      `token budget: prompt tokens max ${Math.max(...prompts)} of ${TOKEN_BUDGET} ` +
        `(${overBudget} over); reference block at most ${fixed(100 * Math.max(...shares), 1)}% ` +
        `of a prompt (cap ${REFERENCE_SHARE * 100}% of the budget)`,
    );
    console.log(`\ndone in ${fixed((now() - started) / 1000, 1)} s`);
  } finally {
    await tools.stop();
    await model.stop();
    await services.stop();
  }
}

await main();
