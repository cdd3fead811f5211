// bench/agent: how fast a streamed draft reaches a client, and what it costs
// in MongoDB writes. The model test server streams 200 tokens 5 ms apart; an
// SSE client per conversation stamps every `message.delta` it reads, matched
// to the moment the server wrote that token. Baseline, in the same run and
// process: the bare openai client streaming the same tokens from the same
// server. Then the same for 50 drafts requested at once.
//
//   node --import tsx bench/agent.ts
//
// Needs Redis (REDIS_URL, default redis://127.0.0.1:6379); MongoDB is
// MONGODB_URI when set, else the embedded store in this process.
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { TEST_API_KEY } from '../test/support/runtime.ts';
import { startOpenAiTestServer } from '../test/support/services/openai-server.ts';
import { peakOverlap, report, streamInterval, type Phase } from './support/agent-report.ts';
import { bareStreams } from './support/bare-openai.ts';
import { recordMongoWrites } from './support/mongo-writes.ts';
import { ACCOUNT, AGENT_KEY, prepareCases, runDrafts } from './support/postroom-drafts.ts';
import { startBenchServices } from './support/services.ts';
import { fixed, now } from './support/stats.ts';

const TOKEN_COUNT = 200;
const TOKEN_DELAY_MS = 5;
/** One draft at a time, repeated for more samples (each gives TOKEN_COUNT). */
const SEQUENTIAL_DRAFTS = 3;
const CONCURRENT_DRAFTS = 50;

const TOKENS = Array.from({ length: TOKEN_COUNT }, (_, i) => (i === 0 ? 'Token0' : ` token${i}`));

function config(modelUrl: string, dir: string): unknown {
  return {
    accounts: [
      {
        id: ACCOUNT,
        name: 'Acme',
        api_keys: [
          {
            name: 'bench',
            key: TEST_API_KEY,
            permissions: ['messaging:read', 'messaging:write', 'messaging:approve', 'admin'],
          },
        ],
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
        // Many drafts in a row must not hit the per-conversation hourly cap.
        agent_runs_per_conversation_per_hour: 1000,
      },
    ],
  };
}

async function main(): Promise<void> {
  const started = now();
  // The model test server's token delays all listen on one abort signal: 50
  // streams at once would print a (harmless) MaxListenersExceededWarning.
  setMaxListeners(CONCURRENT_DRAFTS * 2);
  const services = await startBenchServices();
  const model = await startOpenAiTestServer();
  model.setDefault({ kind: 'stream', tokens: TOKENS, delayMs: TOKEN_DELAY_MS });
  const recorder = recordMongoWrites();
  try {
    const runtime = await services.startRuntime(config(model.baseURL, services.scratch), 'all');
    // Warm-up, not measured: connections, JIT, the first subscriptions.
    await runDrafts(runtime, model, await prepareCases(runtime, 1, 0), TOKENS, false);
    await bareStreams(model, TOKEN_COUNT, 1, 1);

    const phases: Phase[] = [];
    for (const [label, count, concurrent] of [
      ['1 draft', SEQUENTIAL_DRAFTS, false],
      [`${CONCURRENT_DRAFTS} drafts at once`, CONCURRENT_DRAFTS, true],
    ] as const) {
      const cases = await prepareCases(runtime, count, concurrent ? 100 : 10);
      recorder.reset();
      const t0 = now();
      const drafts = await runDrafts(runtime, model, cases, TOKENS, concurrent);
      const wallMs = now() - t0;
      const writes = [...recorder.writes];
      const operations = recorder.operations;
      const peak = peakOverlap(drafts.map((d) => streamInterval(d.request.tokenSentAt)));
      const bare = await bareStreams(model, TOKEN_COUNT, count, peak);
      const bareAllAtOnce =
        concurrent && peak < count
          ? await bareStreams(model, TOKEN_COUNT, count, count)
          : undefined;
      phases.push({
        label,
        drafts,
        peak,
        bare,
        writes,
        operations,
        wallMs,
        ...(bareAllAtOnce ? { bareAllAtOnce } : {}),
      });
    }
    report(phases, {
      tokens: TOKEN_COUNT,
      delayMs: TOKEN_DELAY_MS,
      mongoLabel: services.mongoLabel,
    });
  } finally {
    recorder.stop();
    await model.stop();
    await services.stop();
  }
  console.log(`\ndone in ${fixed((now() - started) / 1000, 1)} s`);
}

await main();
