// Drives agent drafts through a running Postroom the way a support tool would:
// a customer case with an `always` agent, an SSE client on its events, then a
// teammate's internal note posted through the API, which wakes the agent. Each
// streamed delta is matched to the token the model test server wrote, by order
// (the provider turns each chunk into one delta, checked by text and offset).
import { agentIdFor, type ConversationRecord } from '../../src/store/index.ts';
import { TEST_API_KEY, type TestRuntime } from '../../test/support/runtime.ts';
import type {
  OpenAiTestServer,
  RecordedOpenAiRequest,
} from '../../test/support/services/openai-server.ts';
import { conversationChannel } from '../../src/realtime/events.ts';
import { waitUntil } from '../../test/support/wait.ts';
import { TimedSseClient, type TimedFrame } from './sse-client.ts';
import { now } from './stats.ts';

export const ACCOUNT = 'acme';
export const AGENT_KEY = 'drafter';

export interface DraftMeasurement {
  conversationId: string;
  draftId: string;
  /** Token written by the model server → its delta read by the SSE client, ms. */
  latencies: number[];
  /** The note was posted → the first delta reached the client, ms (queueing included). */
  firstDeltaMs: number;
  /** The model server's first token → last token, ms. */
  streamMs: number;
  /** Deltas whose text or offset did not match the token at the same position. */
  mismatches: number;
  request: RecordedOpenAiRequest;
}

export interface PreparedCase {
  conversation: ConversationRecord;
  client: TimedSseClient;
  marker: string;
}

interface DeltaData {
  message_id: string;
  offset: number;
  text: string;
  reset?: boolean;
}

interface MessageData {
  id: string;
  streaming_state: string | null;
}

async function prepare(runtime: TestRuntime, index: number): Promise<PreparedCase> {
  const { store, redis } = runtime.context;
  const conversation = await store.conversations.create({
    account_id: ACCOUNT,
    type: 'group',
    audience: 'customer',
    workflow_status: 'open',
    title: `Benchmark case ${index}`,
    mailbox_id: 'support',
    participants: [
      {
        type: 'customer',
        role: 'member',
        customer: { name: 'Jane Doe', address: `jane${index}@customer.test` },
      },
      { type: 'agent', actor_id: agentIdFor(ACCOUNT, AGENT_KEY), agent_trigger_policy: 'always' },
    ],
  });
  const client = await TimedSseClient.open(
    `${runtime.api}/v1/messaging/conversations/${conversation._id}/events`,
    TEST_API_KEY,
  );
  await client.waitFor((frame) => frame.retry !== undefined, 'the SSE retry hint');
  // Live from here: the API process holds the conversation's subscription.
  const channel = conversationChannel(runtime.prefix, conversation._id);
  await waitUntil(
    async () => {
      const [, count] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
      return Number(count) >= 1;
    },
    { what: `the realtime subscription of ${conversation._id}` },
  );
  return { conversation, client, marker: `[bench:${conversation._id}]` };
}

async function draft(
  runtime: TestRuntime,
  model: OpenAiTestServer,
  { conversation, client, marker }: PreparedCase,
  tokens: readonly string[],
): Promise<DraftMeasurement> {
  const postedAt = now();
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
  if (response.status !== 201) {
    throw new Error(`posting the note: ${response.status} ${await response.text()}`);
  }
  const first = await client.waitFor((f) => f.event === 'message.delta', 'the first delta', 60_000);
  const draftId = (first.data as DeltaData).message_id;
  await client.waitFor(
    (f) =>
      f.event === 'message.updated' &&
      (f.data as MessageData).id === draftId &&
      (f.data as MessageData).streaming_state === 'complete',
    `draft ${draftId} complete`,
    60_000,
  );
  client.close();

  const deltas: TimedFrame[] = client.frames.filter(
    (f) => f.event === 'message.delta' && (f.data as DeltaData).message_id === draftId,
  );
  if (deltas.some((f) => (f.data as DeltaData).reset)) {
    throw new Error(`draft ${draftId} was restarted (a retried stream): the run is not comparable`);
  }
  const requests = model.requests.filter((r) => JSON.stringify(r.body ?? {}).includes(marker));
  const request = requests[0];
  if (requests.length !== 1 || !request) {
    throw new Error(`expected one model request for ${marker}, saw ${requests.length}`);
  }
  const sent = request.tokenSentAt;
  if (deltas.length !== tokens.length || sent.length !== tokens.length) {
    throw new Error(
      `draft ${draftId}: ${deltas.length} deltas, ${sent.length} tokens sent, ${tokens.length} expected`,
    );
  }
  let offset = 0;
  let mismatches = 0;
  const latencies = deltas.map((frame, i) => {
    const delta = frame.data as DeltaData;
    if (delta.text !== tokens[i] || delta.offset !== offset) mismatches += 1;
    offset += tokens[i]?.length ?? 0;
    return frame.at - (sent[i]?.at ?? Number.NaN);
  });
  return {
    conversationId: conversation._id,
    draftId,
    latencies,
    firstDeltaMs: first.at - postedAt,
    streamMs: (sent.at(-1)?.at ?? 0) - (sent[0]?.at ?? 0),
    mismatches,
    request,
  };
}

/** `count` cases, each with its SSE client connected and subscribed. */
export function prepareCases(
  runtime: TestRuntime,
  count: number,
  firstIndex: number,
): Promise<PreparedCase[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => prepare(runtime, firstIndex + i)));
}

/** One draft per case: one after another, or every note posted at once. */
export async function runDrafts(
  runtime: TestRuntime,
  model: OpenAiTestServer,
  cases: readonly PreparedCase[],
  tokens: readonly string[],
  concurrent: boolean,
): Promise<DraftMeasurement[]> {
  if (concurrent) return Promise.all(cases.map((c) => draft(runtime, model, c, tokens)));
  const results: DraftMeasurement[] = [];
  for (const c of cases) results.push(await draft(runtime, model, c, tokens));
  return results;
}
