// bench/ingest: end-to-end messages per second from an IMAP folder to stored
// conversations. 2,000 mixed real-world messages (the shared corpus, cycled:
// plain and HTML mail, attachments, bounces, auto-replies, list mail, legacy
// charsets, broken MIME), each given a Message-ID of its own so each must be
// stored, are appended to a private Dovecot; then Postroom's watcher and
// ingest roles start and the clock runs until all 2,000 are stored.
// Baseline, in the same run: mailparser's simpleParser over the same sources,
// one after another, run first in a fresh process of its own (so Postroom's
// memory figures are Postroom's, not what the baseline or the appended
// sources left in this process). Peak RSS is sampled during each phase.
//
//   node --import tsx bench/ingest.ts [--store=disk|memory|both]
//
// Needs root (the private Dovecot; installed with apt-get when missing), Redis
// (REDIS_URL, default redis://127.0.0.1:6379) and the corpus at
// ../shared/corpus; MongoDB is MONGODB_URI when set, else the embedded store
// in this process: durable in a scratch data directory (--store=disk, the
// default) or in memory (--store=memory, it then holds all the mail in this
// process's memory too). --store=both runs each in a fresh process of its own
// (so neither inherits the other's memory) and prints the ratio disk/memory.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { simpleParser } from 'mailparser';
import { internalsOf } from '../src/store/connect.ts';
import type { TestRuntime } from '../test/support/runtime.ts';
import { startDovecot, type DovecotServer } from '../test/support/services/dovecot.ts';
import { waitUntil } from '../test/support/wait.ts';
import { openClient } from '../test/integration/imap/helpers.ts';
import { startBenchServices, type BenchStore } from './support/services.ts';
import { fixed, now, table } from './support/stats.ts';

const MESSAGES = 2000;
const TIMEOUT_MS = 600_000;
const ACCOUNT = 'acme';
const MAILBOX = 'support';
const corpus = join(import.meta.dirname, '..', '..', 'shared', 'corpus');

/** The corpus's messages (MANIFEST.tsv, without Zammad's expected-parse .yml files). */
function corpusSources(): Buffer[] {
  const lines = readFileSync(join(corpus, 'MANIFEST.tsv'), 'utf8').split('\n').filter(Boolean);
  const header = (lines.shift() ?? '').split('\t');
  const fileColumn = header.indexOf('file');
  const traitsColumn = header.indexOf('traits');
  return lines
    .map((line) => line.split('\t'))
    .filter((columns) => !(columns[traitsColumn] ?? '').split(',').includes('expected-parse-yml'))
    .map((columns) => readFileSync(join(corpus, columns[fileColumn] ?? '')));
}

/**
 * The source with its own Message-ID: the header block's Message-ID fields
 * (folded lines included) are dropped and a new one goes first. Lines end in
 * CRLF, as IMAP wants them.
 */
function withMessageId(source: Buffer, id: string): Buffer {
  const text = source.toString('latin1').replace(/\r?\n/g, '\r\n');
  const split = text.indexOf('\r\n\r\n');
  const head = split === -1 ? text : text.slice(0, split);
  const body = split === -1 ? '' : text.slice(split);
  const kept: string[] = [];
  let dropping = false;
  for (const line of head.split('\r\n')) {
    if (/^[ \t]/.test(line) && dropping) continue;
    dropping = /^message-id\s*:/i.test(line);
    if (!dropping) kept.push(line);
  }
  return Buffer.from(`Message-ID: <${id}>\r\n${kept.join('\r\n')}${body}`, 'latin1');
}

/** The highest RSS seen while `task` runs (sampled every 20 ms), and its result. */
async function peakRss<T>(task: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const result = await task();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}

async function appendAll(dovecot: DovecotServer, user: string, sources: Buffer[]) {
  const client = await openClient(dovecot, user);
  const appended: Buffer[] = [];
  let refused = 0;
  try {
    for (let i = 0; appended.length < MESSAGES; i++) {
      if (i >= sources.length * 3 && appended.length === 0) throw new Error('APPEND refuses all');
      const source = withMessageId(
        sources[i % sources.length] ?? Buffer.alloc(0),
        `bench-${i}@ingest.invalid`,
      );
      try {
        await client.append('INBOX', source);
        appended.push(source);
      } catch {
        refused += 1; // A message the IMAP server will not store cannot reach Postroom either.
      }
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
  return { appended, refused };
}

function config(dovecot: DovecotServer, user: string, outbox: string): unknown {
  return {
    accounts: [
      {
        id: ACCOUNT,
        name: 'Acme',
        mailboxes: [
          {
            id: MAILBOX,
            address: 'support@acme.test',
            imap: {
              host: dovecot.host,
              port: dovecot.port,
              secure: false,
              auth: { user, pass: dovecot.password },
              history_days: null,
            },
            outbox_folder: outbox,
          },
        ],
      },
    ],
  };
}

/** Stored messages and inbound failures of the mailbox: every appended message ends as one. */
async function accounted(runtime: TestRuntime): Promise<{ stored: number; failed: number }> {
  const { Message, InboundFailure } = internalsOf(runtime.context.store).models;
  const [stored, failed] = await Promise.all([
    Message.countDocuments({ account_id: ACCOUNT, mailbox_id: MAILBOX, kind: 'email' }),
    InboundFailure.countDocuments({ account_id: ACCOUNT }),
  ]);
  return { stored, failed };
}

async function mixOf(runtime: TestRuntime) {
  const { Message, Conversation } = internalsOf(runtime.context.store).models;
  const base = { account_id: ACCOUNT, mailbox_id: MAILBOX, kind: 'email' };
  const [conversations, autoSubmitted, parseErrors, withAttachments] = await Promise.all([
    Conversation.countDocuments({ account_id: ACCOUNT }),
    Message.collection.countDocuments({ ...base, 'email.auto_submitted': true }),
    Message.collection.countDocuments({ ...base, parse_error: { $ne: null } }),
    Message.collection.countDocuments({ ...base, 'attachments.0': { $exists: true } }),
  ]);
  return { conversations, autoSubmitted, parseErrors, withAttachments };
}

/** What one run reports to a `--store=both` parent, on a line of its own. */
interface RunResult {
  store: BenchStore;
  messagesPerSecond: number;
  peakRssMiB: number;
  endRssMiB: number;
}
const RESULT_PREFIX = 'BENCH_RESULT ';

function storeArgument(): BenchStore | 'both' {
  const arg = process.argv.find((a) => a.startsWith('--store='));
  const value = arg ? arg.slice('--store='.length) : 'disk';
  if (value !== 'disk' && value !== 'memory' && value !== 'both') {
    console.error(`--store must be disk, memory or both, not ${value}`);
    process.exit(2);
  }
  return value;
}

const mib = (value: number) => fixed(value / 1024 / 1024, 0);

/** Where the process's memory is at the end of the run, to tell the heap from the rest. */
function memoryBreakdown(): string {
  const usage = process.memoryUsage();
  return `rss ${mib(usage.rss)} MiB = JS heap ${mib(usage.heapTotal)} (used ${mib(usage.heapUsed)}) + external ${mib(usage.external)} (array buffers ${mib(usage.arrayBuffers)}) + code, stacks and native allocations`;
}

async function runInChild(store: BenchStore): Promise<RunResult> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, process.argv[1] ?? '', `--store=${store}`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    process.stdout.write(chunk);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = output.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (code !== 0 || !line) throw new Error(`the --store=${store} run failed (exit ${code})`);
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as RunResult;
}

async function both(): Promise<void> {
  const memory = await runInChild('memory');
  const disk = await runInChild('disk');
  console.log(`\nbench/ingest --store=both: the embedded store in memory vs durable on disk\n`);
  console.log(
    table([
      ['', 'messages/s', 'peak RSS MiB', 'end RSS MiB'],
      [
        'disk (SQLite)',
        fixed(disk.messagesPerSecond, 1),
        fixed(disk.peakRssMiB, 0),
        fixed(disk.endRssMiB, 0),
      ],
      [
        'memory',
        fixed(memory.messagesPerSecond, 1),
        fixed(memory.peakRssMiB, 0),
        fixed(memory.endRssMiB, 0),
      ],
      [
        'ratio disk/memory',
        `${fixed(disk.messagesPerSecond / memory.messagesPerSecond)}x`,
        `${fixed(disk.peakRssMiB / memory.peakRssMiB)}x`,
        `${fixed(disk.endRssMiB / memory.endRssMiB)}x`,
      ],
    ]),
  );
}

const BASELINE_PREFIX = 'BENCH_BASELINE ';

/** The baseline's own process: parse every file of `dir` in order; report time and peak RSS. */
async function baseline(dir: string): Promise<void> {
  const files = readdirSync(dir).sort();
  const { result, peak } = await peakRss(async () => {
    const t0 = now();
    for (const file of files) await simpleParser(readFileSync(join(dir, file)));
    return now() - t0;
  });
  console.log(`${BASELINE_PREFIX}${JSON.stringify({ ms: result, peak, messages: files.length })}`);
}

async function runBaseline(dir: string): Promise<{ ms: number; peak: number; messages: number }> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, process.argv[1] ?? '', `--baseline=${dir}`],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = output.split('\n').find((l) => l.startsWith(BASELINE_PREFIX));
  if (code !== 0 || !line) throw new Error(`the baseline process failed (exit ${code})`);
  return JSON.parse(line.slice(BASELINE_PREFIX.length)) as {
    ms: number;
    peak: number;
    messages: number;
  };
}

/** Appends the bench's mail to Dovecot and writes it for the baseline; keeps none of it in memory. */
async function prepareMail(dovecot: DovecotServer, user: string, baselineDir: string) {
  const sources = corpusSources();
  const { appended, refused } = await appendAll(dovecot, user, sources);
  mkdirSync(baselineDir, { recursive: true });
  appended.forEach((source, i) =>
    writeFileSync(join(baselineDir, `${String(i).padStart(5, '0')}.eml`), source),
  );
  const bytes = appended.reduce((sum, source) => sum + source.length, 0);
  return { bytes, refused, corpusSize: sources.length };
}

async function main(store: BenchStore): Promise<void> {
  if (!existsSync(join(corpus, 'MANIFEST.tsv'))) {
    console.error(`bench/ingest needs the shared corpus at ${corpus}`);
    process.exit(2);
  }
  const started = now();
  const services = await startBenchServices(store);
  const dovecot = await startDovecot();
  try {
    const user = dovecot.userFor('bench-ingest');
    const baselineDir = join(services.scratch, 'baseline');
    const { bytes, refused, corpusSize } = await prepareMail(dovecot, user, baselineDir);
    // The baseline first, in a process that has done nothing else.
    const bareRun = await runBaseline(baselineDir);
    const bare = { result: bareRun.ms, peak: bareRun.peak };

    const ours = await peakRss(async () => {
      const t0 = now();
      const runtime = await services.startRuntime(
        config(dovecot, user, join(services.scratch, 'outbox')),
        'watcher,ingest',
      );
      await waitUntil(
        async () => {
          const { stored, failed } = await accounted(runtime);
          return stored + failed >= MESSAGES;
        },
        { timeoutMs: TIMEOUT_MS, intervalMs: 100, what: `${MESSAGES} messages stored` },
      );
      return { ms: now() - t0, runtime };
    });
    const { runtime } = ours.result;
    // At the end of the run, with everything still open: what stays after ingesting.
    const endRss = process.memoryUsage.rss();
    const breakdown = memoryBreakdown();
    // To see what holds the memory: POSTROOM_BENCH_HEAP_SNAPSHOT=<file> writes a heap snapshot here.
    const snapshot = process.env.POSTROOM_BENCH_HEAP_SNAPSHOT;
    if (snapshot) writeHeapSnapshot(snapshot);
    const counts = await accounted(runtime);
    const mix = await mixOf(runtime);
    await services.stop();

    const rate = (ms: number) => (MESSAGES / ms) * 1000;
    console.log(
      `\nbench/ingest: ${MESSAGES} messages (${mib(bytes)} MiB, the corpus of ${corpusSize} cycled, each with its own Message-ID) from Dovecot; MongoDB: ${services.mongoLabel}\n`,
    );
    console.log(
      table([
        ['', 'messages', 'seconds', 'messages/s', 'ratio to bare', 'peak RSS MiB', 'end RSS MiB'],
        [
          'Postroom (IMAP watcher + ingest)',
          String(counts.stored + counts.failed),
          fixed(ours.result.ms / 1000),
          fixed(rate(ours.result.ms), 1),
          `${fixed(rate(ours.result.ms) / rate(bare.result))}x`,
          mib(ours.peak),
          mib(endRss),
        ],
        [
          'bare mailparser simpleParser',
          String(bareRun.messages),
          fixed(bare.result / 1000),
          fixed(rate(bare.result), 1),
          '1.00x',
          mib(bare.peak),
          '',
        ],
      ]),
    );
    console.log(
      `\n  Postroom: clock from start-up (connect, sync, enqueue, parse, GridFS, threading, store) to the ${MESSAGES}th stored message`,
    );
    console.log(
      `  stored ${counts.stored}, failed for good ${counts.failed}; ${mix.conversations} conversations; auto-submitted ${mix.autoSubmitted}; with attachments ${mix.withAttachments}; stored with a parse error ${mix.parseErrors}`,
    );
    if (refused > 0) console.log(`  Dovecot refused ${refused} APPENDs (not counted)`);
    console.log(
      '  peak and end RSS are the whole process: tsx, Postroom and the embedded store (the baseline runs in a process of its own)',
    );
    console.log(`  at the end: ${breakdown}`);
    const result: RunResult = {
      store,
      messagesPerSecond: rate(ours.result.ms),
      peakRssMiB: ours.peak / 1024 / 1024,
      endRssMiB: endRss / 1024 / 1024,
    };
    console.log(`${RESULT_PREFIX}${JSON.stringify(result)}`);
  } finally {
    await dovecot.stop();
    await services.stop();
  }
  console.log(`\ndone in ${fixed((now() - started) / 1000, 1)} s`);
}

const baselineArg = process.argv.find((a) => a.startsWith('--baseline='));
const mode = storeArgument();
if (baselineArg) await baseline(baselineArg.slice('--baseline='.length));
else if (mode === 'both') await both();
else await main(mode);
