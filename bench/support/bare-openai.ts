// The baseline of bench/agent: the official openai client streaming straight
// from the model test server, no Postroom in between. Latency is the same
// measure as Postroom's: token written by the server → chunk seen by the client.
import OpenAI from 'openai';
import type { OpenAiTestServer } from '../../test/support/services/openai-server.ts';
import { now } from './stats.ts';

export interface BareStream {
  /** Per token, ms. */
  latencies: number[];
}

let counter = 0;

async function bareStream(
  client: OpenAI,
  model: OpenAiTestServer,
  tokenCount: number,
): Promise<BareStream> {
  const marker = `[bare:${(counter += 1)}]`;
  const arrivals: number[] = [];
  const stream = await client.chat.completions.create({
    model: 'bench',
    messages: [{ role: 'user', content: `Please draft a reply to the customer. ${marker}` }],
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content) arrivals.push(now());
  }
  const request = model.requests.find((r) => JSON.stringify(r.body ?? {}).includes(marker));
  const sent = request?.tokenSentAt ?? [];
  if (arrivals.length !== tokenCount || sent.length !== tokenCount) {
    throw new Error(`bare stream ${marker}: ${arrivals.length} chunks, ${sent.length} sent`);
  }
  return { latencies: arrivals.map((at, i) => at - (sent[i]?.at ?? Number.NaN)) };
}

/** `count` streams, at most `concurrency` at a time (each slot starts the next when its stream ends). */
export async function bareStreams(
  model: OpenAiTestServer,
  tokenCount: number,
  count: number,
  concurrency: number,
): Promise<BareStream[]> {
  const client = new OpenAI({ baseURL: model.baseURL, apiKey: 'x', maxRetries: 0 });
  const results: BareStream[] = [];
  let started = 0;
  const slot = async (): Promise<void> => {
    while (started < count) {
      started += 1;
      results.push(await bareStream(client, model, tokenCount));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, slot));
  return results;
}
