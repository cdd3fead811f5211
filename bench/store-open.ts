// bench/store-open: how long a durable embedded store takes to open a data
// directory holding 50,000 Postroom-like messages (and their 10,000
// conversations) until the first query answers. The open runs in a fresh
// process, as after a restart. Baseline, in the same run: SQLite alone reading
// every stored document's bytes from the same file (no BSON decoding, no
// index builds), also in a fresh process.
//
//   node --import tsx bench/store-open.ts [--messages=50000]
//
// Needs nothing but a writable temporary directory.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, ObjectId } from 'mongodb';
import { startEmbeddedMongo } from '../src/embedded-mongo/index.ts';
import { fixed, now, table } from './support/stats.ts';

const RESULT = 'OPEN_RESULT ';
const argValue = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const MESSAGES = Number(argValue('messages') ?? 50_000);
const PER_CONVERSATION = 5;
const ACCOUNT = 'acme';

function message(i: number, conversationId: ObjectId): Record<string, unknown> {
  const at = new Date(Date.UTC(2024, 0, 1) + i * 60_000);
  const text = `Hello support, this is message ${i}. `.repeat(40);
  return {
    _id: new ObjectId(),
    account_id: ACCOUNT,
    mailbox_id: 'support',
    conversation_id: conversationId,
    kind: 'email',
    direction: i % PER_CONVERSATION === 0 ? 'inbound' : 'outbound',
    email: {
      message_id: `<bench-${i}@store-open.invalid>`,
      in_reply_to: i % PER_CONVERSATION === 0 ? null : `<bench-${i - 1}@store-open.invalid>`,
      from: { address: `customer${i % 997}@example.test`, name: `Customer ${i % 997}` },
      to: [{ address: 'support@acme.test', name: 'Acme Support' }],
      subject: `Order ${Math.floor(i / PER_CONVERSATION)} question`,
      date: at,
      auto_submitted: false,
    },
    text,
    html: `<p>${text}</p>`,
    attachments:
      i % 4 === 0 ? [{ filename: 'invoice.pdf', size: 48_213, file_id: new ObjectId() }] : [],
    created_at: at,
  };
}

async function build(dataDir: string): Promise<void> {
  const mongo = await startEmbeddedMongo({ dataDir });
  const client = await MongoClient.connect(`${mongo.uri}postroom`);
  try {
    const db = client.db();
    const messages = db.collection('messages');
    const conversations = db.collection('conversations');
    await messages.createIndexes([
      { key: { account_id: 1, 'email.message_id': 1 }, unique: true },
      { key: { account_id: 1, conversation_id: 1, created_at: 1 } },
    ]);
    await conversations.createIndexes([
      { key: { account_id: 1, number: 1 }, unique: true },
      { key: { account_id: 1, status: 1, updated_at: -1 } },
    ]);
    const batch: Record<string, unknown>[] = [];
    const convBatch: Record<string, unknown>[] = [];
    let conversationId = new ObjectId();
    for (let i = 0; i < MESSAGES; i++) {
      if (i % PER_CONVERSATION === 0) {
        conversationId = new ObjectId();
        const number = i / PER_CONVERSATION + 1;
        convBatch.push({
          _id: conversationId,
          account_id: ACCOUNT,
          number,
          status: number % 3 === 0 ? 'closed' : 'open',
          subject: `Order ${number - 1} question`,
          participants: [`customer${i % 997}@example.test`],
          updated_at: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
        });
      }
      batch.push(message(i, conversationId));
      if (batch.length === 1000) await messages.insertMany(batch.splice(0));
      if (convBatch.length === 1000) await conversations.insertMany(convBatch.splice(0));
    }
    if (batch.length) await messages.insertMany(batch);
    if (convBatch.length) await conversations.insertMany(convBatch);
  } finally {
    await client.close();
    await mongo.stop();
  }
}

/** In a fresh process: open the directory and answer a first query. */
async function openOnce(dataDir: string): Promise<void> {
  const t0 = now();
  const mongo = await startEmbeddedMongo({ dataDir });
  const client = await MongoClient.connect(`${mongo.uri}postroom`);
  const open = await client
    .db()
    .collection('conversations')
    .find({ account_id: ACCOUNT, status: 'open' })
    .sort({ updated_at: -1 })
    .limit(20)
    .toArray();
  const ms = now() - t0;
  const rss = process.memoryUsage.rss();
  await client.close();
  await mongo.stop();
  console.log(`${RESULT}${JSON.stringify({ ms, rss, answered: open.length })}`);
}

/** In a fresh process: SQLite alone reading every document's bytes. */
function rawScan(dataDir: string): void {
  const t0 = now();
  const db = new Database(join(dataDir, 'store.sqlite'), { readonly: true });
  let bytes = 0;
  for (const row of db
    .prepare<[], { body: Buffer }>('SELECT body FROM documents ORDER BY coll, pos')
    .iterate())
    bytes += row.body.length;
  db.close();
  console.log(
    `${RESULT}${JSON.stringify({ ms: now() - t0, rss: process.memoryUsage.rss(), answered: bytes })}`,
  );
}

async function inChild(mode: string, dataDir: string) {
  const child = spawn(
    process.execPath,
    [...process.execArgv, process.argv[1] ?? '', `--${mode}=${dataDir}`],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = output.split('\n').find((l) => l.startsWith(RESULT));
  if (code !== 0 || !line) throw new Error(`the --${mode} process failed (exit ${code})`);
  return JSON.parse(line.slice(RESULT.length)) as { ms: number; rss: number; answered: number };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'postroom-bench-open-'));
  try {
    const t0 = now();
    await build(dataDir);
    const buildMs = now() - t0;
    const size = statSync(join(dataDir, 'store.sqlite')).size;
    const raw = await inChild('raw', dataDir);
    const opened = await inChild('open', dataDir);
    const mib = (n: number) => fixed(n / 1024 / 1024, 0);
    console.log(
      `\nbench/store-open: ${MESSAGES} messages + ${MESSAGES / PER_CONVERSATION} conversations, store.sqlite ${mib(size)} MiB (built in ${fixed(buildMs / 1000, 1)} s)\n`,
    );
    console.log(
      table([
        ['', 'seconds', 'ratio to raw scan', 'RSS MiB'],
        [
          'open + first query (fresh process)',
          fixed(opened.ms / 1000),
          `${fixed(opened.ms / raw.ms)}x`,
          mib(opened.rss),
        ],
        ['raw SQLite scan of every document', fixed(raw.ms / 1000), '1.00x', mib(raw.rss)],
      ]),
    );
    console.log(
      `\n  target: open + first query under 10 s; the first query returned ${opened.answered} conversations`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const openArg = argValue('open');
const rawArg = argValue('raw');
if (openArg) await openOnce(openArg);
else if (rawArg) rawScan(rawArg);
else await main();
