// bench/web: how fast the web app shows what the people approving need, in
// Debian's chromium (playwright-core, as the browser tests drive it).
//
// 1. Inbox: with 5,000 cases in the account, the time from opening the app
//    (a signed-in navigation to /) to the inbox list shown (its first page of
//    rows in the DOM), read from the page's own clock. Baseline, in the same
//    page and run: the browser fetching the same list request's JSON.
// 2. Draft: the model test server streams 200 tokens 5 ms apart into an
//    agent draft while the case is open; each token's delay from leaving the
//    model server to its text being in the page (a MutationObserver's
//    record), p50/p95/max. Baseline, in the same run and on the same stream: a
//    raw SSE reader (fetch, no EventSource) of the conversation's events,
//    stamping each `message.delta` as its bytes are read.
//
//   node --import tsx bench/web.ts
//
// Needs Redis (REDIS_URL, default redis://127.0.0.1:6379) and chromium
// (POSTROOM_TEST_CHROMIUM, default /usr/bin/chromium); MongoDB is
// MONGODB_URI when set, else the embedded store in this process.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { agentIdFor } from '../src/store/index.ts';
import { conversationChannel } from '../src/realtime/events.ts';
import { launchChromium } from '../test/browser/helpers.ts';
import { TEST_API_KEY, type TestRuntime } from '../test/support/runtime.ts';
import { startOpenAiTestServer } from '../test/support/services/openai-server.ts';
import { waitUntil } from '../test/support/wait.ts';
import { startBenchServices } from './support/services.ts';
import { TimedSseClient } from './support/sse-client.ts';
import { fixed, now, ratio, summarize, table } from './support/stats.ts';

const ACCOUNT = 'acme';
const AGENT_KEY = 'drafter';
/** POSTROOM_BENCH_CASES sets another size (for a quick run). */
const CASES = Number(process.env.POSTROOM_BENCH_CASES ?? 5_000);
if (!Number.isInteger(CASES) || CASES < 100) {
  throw new Error(
    'POSTROOM_BENCH_CASES must be a whole number of at least 100 (a full inbox page)',
  );
}
const INBOX_LOADS = 5;
const TOKEN_COUNT = 200;
const TOKEN_DELAY_MS = 5;
const DRAFTS = 3;
const TOKENS = Array.from({ length: TOKEN_COUNT }, (_, i) => (i === 0 ? 'Token0' : ` token${i}`));
const USER = { email: 'bench@acme.test', password: 'bench passphrase, not secret' };
const ALL = ['messaging:read', 'messaging:write', 'messaging:approve', 'admin'];

function config(modelUrl: string, dir: string): unknown {
  return {
    accounts: [
      {
        id: ACCOUNT,
        name: 'Acme',
        api_keys: [{ name: 'bench', key: TEST_API_KEY, permissions: ALL }],
        users: [{ id: 'bench', name: 'Bench User', ...USER, permissions: ALL }],
        agents: [
          {
            id: AGENT_KEY,
            name: 'Drafter',
            handle: 'drafter',
            provider: { type: 'openai', base_url: modelUrl, api_key: 'x', model: 'bench' },
            instructions: 'You draft polite replies.',
            trigger_policy: 'always',
          },
        ],
        mailboxes: [
          {
            id: 'support',
            address: 'support@acme.test',
            drop_folder: join(dir, 'drop'),
            outbox_folder: join(dir, 'outbox'),
            agents: [AGENT_KEY],
          },
        ],
        agent_runs_per_conversation_per_hour: 1000,
      },
    ],
  };
}

function newCase(runtime: TestRuntime, index: number, withAgent: boolean) {
  return runtime.context.store.conversations.create({
    account_id: ACCOUNT,
    type: 'group',
    audience: 'customer',
    // A tenth wait for approval, as a busy inbox's would.
    workflow_status: index % 10 === 0 ? 'needs_approval' : 'open',
    title: `Benchmark case ${index}`,
    mailbox_id: 'support',
    participants: [
      {
        type: 'customer',
        role: 'member',
        customer: { name: `Customer ${index}`, address: `customer${index}@example.test` },
      },
      ...(withAgent
        ? [
            {
              type: 'agent' as const,
              actor_id: agentIdFor(ACCOUNT, AGENT_KEY),
              agent_trigger_policy: 'always' as const,
            },
          ]
        : []),
    ],
  });
}

/** The functions run in the page see these (this project's TypeScript has no DOM types). */
interface PageGlobals {
  document: {
    querySelectorAll(selector: string): { length: number };
    querySelector(selector: string): { textContent: string | null } | null;
    body: unknown;
  };
  performance: { now(): number; timeOrigin: number };
  MutationObserver: new (callback: () => void) => {
    observe(target: unknown, options: object): void;
    disconnect(): void;
  };
  fetch(url: string, init?: object): Promise<{ json(): Promise<unknown> }>;
  benchSamples?: Array<[number, number]>;
  benchObserver?: { disconnect(): void };
}

/** Milliseconds from the navigation's start to the inbox's first page of rows in the DOM. */
async function openInbox(page: Page, api: string): Promise<number> {
  // From a blank page, so this is a new document whose clock starts at the navigation.
  await page.goto('about:blank');
  await page.goto(`${api}/`, { waitUntil: 'commit' });
  const handle = await page.waitForFunction(
    () => {
      const g = globalThis as unknown as PageGlobals;
      return g.document.querySelectorAll('.case-row').length >= 100 && g.performance.now();
    },
    undefined,
    { polling: 'raf', timeout: 30_000 },
  );
  return (await handle.jsonValue()) as number;
}

/** The same request the inbox makes, fetched and parsed by the page: the bare cost of the data. */
function fetchInboxJson(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const g = globalThis as unknown as PageGlobals;
    const started = g.performance.now();
    const response = await g.fetch(
      '/v1/messaging/conversations?limit=100&order=inbox&include=assignee%2Cparticipants',
      { credentials: 'same-origin', headers: { accept: 'application/json' } },
    );
    await response.json();
    return g.performance.now() - started;
  });
}

interface DraftSample {
  page: number[];
  raw: number[];
}

/** The first moment each token's text was all there, from `[length, at]` stamps. */
function appearance(stamps: ReadonlyArray<readonly [number, number]>): number[] {
  const out: number[] = [];
  let length = 0;
  let j = 0;
  for (const token of TOKENS) {
    length += token.length;
    while (j < stamps.length && (stamps[j]?.[0] ?? 0) < length) j += 1;
    out.push(stamps[j]?.[1] ?? Number.NaN);
  }
  return out;
}

async function streamDraft(
  runtime: TestRuntime,
  model: Awaited<ReturnType<typeof startOpenAiTestServer>>,
  page: Page,
  index: number,
): Promise<DraftSample> {
  const conversation = await newCase(runtime, 100_000 + index, true);
  const marker = `[bench:${conversation._id}]`;
  const pageStream = page.waitForResponse((r) =>
    r.url().includes(`/conversations/${conversation._id}/events`),
  );
  await page.goto(`${runtime.api}/#/cases/${conversation._id}`);
  await page.getByRole('heading', { name: conversation.title ?? '' }).waitFor();
  await pageStream;
  const raw = await TimedSseClient.open(
    `${runtime.api}/v1/messaging/conversations/${conversation._id}/events`,
    TEST_API_KEY,
  );
  await raw.waitFor((frame) => frame.retry !== undefined, 'the SSE retry hint');
  // The API process holds the conversation's one Redis subscription (both
  // readers' streams had started, so both listen on it).
  const channel = conversationChannel(runtime.prefix, conversation._id);
  await waitUntil(async () => {
    const [, count] = (await runtime.context.redis.pubsub('NUMSUB', channel)) as [string, number];
    return Number(count) >= 1;
  });
  await page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    const samples: Array<[number, number]> = [];
    g.benchSamples = samples;
    let last = -1;
    const observer = new g.MutationObserver(() => {
      const length = g.document.querySelector('.draft-body')?.textContent?.length ?? 0;
      if (length > last) {
        last = length;
        samples.push([length, g.performance.timeOrigin + g.performance.now()]);
      }
    });
    observer.observe(g.document.body, { subtree: true, childList: true, characterData: true });
    g.benchObserver = observer;
  });

  const response = await runtime.request(
    `/v1/messaging/conversations/${conversation._id}/messages`,
    {
      method: 'POST',
      body: JSON.stringify({
        body: `Please draft a reply to the customer. ${marker}`,
        visibility: 'internal',
        channel: 'message',
      }),
    },
  );
  if (response.status !== 201) throw new Error(`the note: ${response.status}`);
  const total = TOKENS.join('').length;
  await raw.waitFor(
    (f) =>
      f.event === 'message.updated' &&
      (f.data as { streaming_state?: string }).streaming_state === 'complete',
    'the draft complete',
    60_000,
  );
  raw.close();
  await page.waitForFunction(
    (length) =>
      ((globalThis as unknown as PageGlobals).document.querySelector('.draft-body')?.textContent
        ?.length ?? 0) >= length,
    total,
  );
  const stamps = await page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    g.benchObserver?.disconnect();
    return g.benchSamples ?? [];
  });

  const request = model.requests.find((r) => JSON.stringify(r.body ?? {}).includes(marker));
  const sent = request?.tokenSentAt ?? [];
  if (sent.length !== TOKEN_COUNT) throw new Error(`${sent.length} tokens sent`);
  const rawStamps: Array<[number, number]> = raw.frames
    .filter((f) => f.event === 'message.delta')
    .map((f) => {
      const delta = f.data as { offset: number; text: string };
      return [delta.offset + delta.text.length, f.at];
    });
  const at = (list: number[]) => list.map((t, i) => t - (sent[i]?.at ?? Number.NaN));
  return { page: at(appearance(stamps)), raw: at(appearance(rawStamps)) };
}

async function main(): Promise<void> {
  const started = now();
  const services = await startBenchServices();
  const model = await startOpenAiTestServer();
  model.setDefault({ kind: 'stream', tokens: TOKENS, delayMs: TOKEN_DELAY_MS });
  const browser = await launchChromium();
  try {
    const runtime = await services.startRuntime(config(model.baseURL, services.scratch), 'all');
    const seeding = now();
    for (let i = 0; i < CASES; i++) await newCase(runtime, i, false);
    console.log(`${CASES} cases stored in ${fixed((now() - seeding) / 1000, 1)} s`);

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${runtime.api}/`);
    await page.getByLabel('Email').fill(USER.email);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();

    // Warm-up, not measured: the server's first queries, the browser's module cache.
    await openInbox(page, runtime.api);
    await fetchInboxJson(page);
    const shown: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < INBOX_LOADS; i++) {
      shown.push(await openInbox(page, runtime.api));
      bare.push(await fetchInboxJson(page));
    }

    await streamDraft(runtime, model, page, 0); // warm-up
    const drafts: DraftSample[] = [];
    for (let i = 1; i <= DRAFTS; i++) drafts.push(await streamDraft(runtime, model, page, i));
    await context.close();

    const inbox = summarize(shown);
    const fetchOnly = summarize(bare);
    const pageTokens = summarize(drafts.flatMap((d) => d.page));
    const rawTokens = summarize(drafts.flatMap((d) => d.raw));
    console.log(`\nstore: ${services.mongoLabel}; chromium headless, 1280x800\n`);
    console.log(
      `Inbox, ${CASES} cases (first page of 100 rows), ${INBOX_LOADS} loads, ms (target: under 1000)`,
    );
    console.log(
      table([
        ['', 'p50', 'max', 'ratio p50'],
        [
          'open / → list shown',
          fixed(inbox.p50, 1),
          fixed(inbox.max, 1),
          ratio(inbox.p50, fetchOnly.p50),
        ],
        [
          'bare: fetch + parse the list JSON',
          fixed(fetchOnly.p50, 1),
          fixed(fetchOnly.max, 1),
          '1.00x',
        ],
      ]),
    );
    console.log(
      `\nModel token → visible, ${TOKEN_COUNT} tokens ${TOKEN_DELAY_MS} ms apart, ${DRAFTS} drafts, ms (target p95: under 100)`,
    );
    console.log(
      table([
        ['', 'samples', 'p50', 'p95', 'max', 'ratio p95'],
        [
          'in the page (DOM)',
          String(pageTokens.count),
          fixed(pageTokens.p50),
          fixed(pageTokens.p95),
          fixed(pageTokens.max),
          ratio(pageTokens.p95, rawTokens.p95),
        ],
        [
          'bare: raw SSE reader',
          String(rawTokens.count),
          fixed(rawTokens.p50),
          fixed(rawTokens.p95),
          fixed(rawTokens.max),
          '1.00x',
        ],
      ]),
    );
  } finally {
    await browser.close();
    await model.stop();
    await services.stop();
  }
  console.log(`\ndone in ${fixed((now() - started) / 1000, 1)} s`);
}

await main();
