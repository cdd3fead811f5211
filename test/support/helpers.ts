// What the integration folders' helpers.ts had each copied: stopping a test
// runtime with its data, seeding a case and an actor, reading API answers, and a
// logger whose lines a test can read. Each folder's helpers.ts keeps only what
// is its own (configs, fixtures of its flow).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/platform/logger.ts';
import { internalsOf } from '../../src/store/connect.ts';
import {
  newId,
  type ActorRecord,
  type ActorType,
  type ConversationRecord,
  type NewConversation,
  type Store,
} from '../../src/store/index.ts';
import type { TestImapServer } from './imap.ts';
import { dropDatabase, dropRedisPrefix, type TestRuntime } from './runtime.ts';
import { waitUntil } from './wait.ts';

/** Stop the runtime and drop what it wrote (its Redis prefix, its database). */
export async function stopRuntime(runtime: TestRuntime | undefined): Promise<void> {
  if (!runtime) return;
  await runtime.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
}

/** A customer case of `acme` bridged to its `support` mailbox, unless fields say otherwise. */
export function createCase(
  store: Store,
  fields: Partial<NewConversation> = {},
): Promise<ConversationRecord> {
  return store.conversations.create({
    account_id: 'acme',
    type: 'group',
    audience: 'customer',
    workflow_status: 'new',
    title: 'Where is my order?',
    mailbox_id: 'support',
    ...fields,
  });
}

/** Users and groups are not in the bootstrap file: written straight to the model. */
export async function createActor(
  store: Store,
  accountId: string,
  type: ActorType,
  name: string,
): Promise<ActorRecord> {
  const { Actor } = internalsOf(store).models;
  const created = await Actor.create({
    _id: newId('act'),
    account_id: accountId,
    type,
    name,
    handle: type === 'user' ? `${name.toLowerCase()}@acme.test` : null,
  });
  return created.toObject<ActorRecord>();
}

export type Json = Record<string, unknown> & { id: string };

/** The body of a 200 answer (the test fails with the body otherwise). */
export async function okJson(response: Response): Promise<Json> {
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as Json;
}

/** The `error` of an error answer; with `status`, the test fails on any other status. */
export async function errorOf(
  response: Response,
  status?: number,
): Promise<{ type: string; code: string; message: string }> {
  if (status !== undefined) assert.equal(response.status, status, await response.clone().text());
  const body = (await response.json()) as {
    error: { type: string; code: string; message: string };
  };
  return body.error;
}

export interface CapturedLogger {
  logger: Logger;
  /** Each line written, parsed. */
  lines: Array<Record<string, unknown>>;
  /** Everything written, as text (to look for what must never reach the log). */
  text(): string;
}

/** A real pino logger (same redaction as production) whose lines are kept. */
export function capturedLogger(level: 'trace' | 'debug' | 'info' = 'debug'): CapturedLogger {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString('utf8');
      raw.push(text);
      for (const line of text.split('\n')) {
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: createLogger(level, destination), lines, text: () => raw.join('') };
}

type QueueName = Parameters<TestRuntime['context']['queues']['queue']>[0];

/** No job of these queues waits or runs (delayed and prioritized ones count as waiting). */
export async function waitQueuesIdle(
  runtime: TestRuntime,
  names: readonly QueueName[],
): Promise<void> {
  for (const name of names) {
    const queue = runtime.context.queues.queue(name);
    await waitUntil(
      async () => {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return Object.values(counts).every((n) => n === 0);
      },
      { what: `the ${name} queue to be idle`, timeoutMs: 30_000 },
    );
  }
}

/** The `support` mailbox read over IMAP from the test Dovecot, with the template drafter. */
export function imapSupportMailbox(imap: TestImapServer, user: string): Record<string, unknown> {
  return {
    id: 'support',
    address: 'support@acme.test',
    imap: {
      host: imap.host,
      port: imap.port,
      secure: false,
      auth: { user, pass: imap.password },
      folder: 'INBOX',
    },
    outbox_folder: mkdtempSync(join(tmpdir(), 'postroom-outbox-')),
    agents: ['drafter'],
  };
}
