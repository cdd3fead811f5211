// bench/ingest: end-to-end messages per second from an IMAP folder to stored
// conversations. 2,000 mixed real-world messages (the shared corpus, cycled:
// plain and HTML mail, attachments, bounces, auto-replies, list mail, legacy
// charsets, broken MIME), each given a Message-ID of its own so each must be
// stored, are appended to a private Dovecot; then Postroom starts as `npm
// start` runs it (the compiled build, in a process of its own, with the
// watcher and ingest roles) and the clock runs until all 2,000 are stored.
// Its RSS is sampled from /proc during the run (peak) and read at the end.
// Baseline, in the same run: mailparser's simpleParser over the same sources,
// one after another, run first in a fresh process of its own.
//
//   node --import tsx bench/ingest.ts [--store=disk|memory|both] [--corpus=dir]
//
// Needs root (the private Dovecot; installed with apt-get when missing), Redis
// (REDIS_URL, default redis://127.0.0.1:6379) and a folder of .eml messages
// with a MANIFEST.tsv (the repository's CI has the shared corpus beside the
// checkout; --corpus names another folder). MongoDB is MONGODB_URI when set,
// else the embedded store in Postroom's process: durable in a scratch data
// directory (--store=disk, the default) or in memory (--store=memory).
// --store=both runs each in turn (memory, disk, memory, disk, memory, disk:
// three runs of each, so a change in the machine's load meets both) and
// prints the medians and the ratio disk/memory.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simpleParser } from 'mailparser';
import { startDovecot, type DovecotServer } from '../test/support/services/dovecot.ts';
import { waitUntil } from '../test/support/wait.ts';
import { openClient } from '../test/integration/imap/helpers.ts';
import {
  ensureBuild,
  rssOfPid,
  startPostroom,
  type BenchStore,
  type PostroomUnderTest,
} from './support/postroom-process.ts';
import { fixed, now, summarize, table } from './support/stats.ts';

const MESSAGES = 2000;
const TIMEOUT_MS = 600_000;
const SETTLE_MS = 15_000;
const ACCOUNT = 'acme';
const MAILBOX = 'support';
const corpusArg = process.argv.find((a) => a.startsWith('--corpus='));
const corpus = corpusArg
  ? resolve(corpusArg.slice('--corpus='.length))
  : join(import.meta.dirname, '..', '..', 'shared', 'corpus');

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

/** The highest RSS `sample` saw while `task` ran (sampled every 20 ms), and its result. */
async function peakRss<T>(
  task: () => Promise<T>,
  sample: () => number = () => process.memoryUsage.rss(),
): Promise<{ result: T; peak: number }> {
  let peak = sample();
  const timer = setInterval(() => {
    peak = Math.max(peak, sample());
  }, 20);
  try {
    const result = await task();
    peak = Math.max(peak, sample());
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
async function accounted(postroom: PostroomUnderTest): Promise<{ stored: number; failed: number }> {
  const db = postroom.connection;
  const [stored, failed] = await Promise.all([
    db
      .collection('chat_messages')
      .countDocuments({ account_id: ACCOUNT, mailbox_id: MAILBOX, kind: 'email' }),
    db.collection('inbound_failures').countDocuments({ account_id: ACCOUNT }),
  ]);
  return { stored, failed };
}

async function mixOf(postroom: PostroomUnderTest) {
  const db = postroom.connection;
  const messages = db.collection('chat_messages');
  const base = { account_id: ACCOUNT, mailbox_id: MAILBOX, kind: 'email' };
  const [conversations, autoSubmitted, parseErrors, withAttachments] = await Promise.all([
    db.collection('conversations').countDocuments({ account_id: ACCOUNT }),
    messages.countDocuments({ ...base, 'email.auto_submitted': true }),
    messages.countDocuments({ ...base, parse_error: { $ne: null } }),
    messages.countDocuments({ ...base, 'attachments.0': { $exists: true } }),
  ]);
  return { conversations, autoSubmitted, parseErrors, withAttachments };
}

/** What one run reports to a `--store=both` parent, on a line of its own. */
interface RunResult {
  store: BenchStore;
  messagesPerSecond: number;
  peakRssMiB: number;
  endRssMiB: number;
  idleRssMiB: number;
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

async function runInChild(store: BenchStore): Promise<RunResult> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, process.argv[1] ?? '', `--store=${store}`, `--corpus=${corpus}`],
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

const RUNS = 3;

const median = (values: number[]) => summarize(values).p50;

async function both(): Promise<void> {
  // Alternating, so a change in the machine's load meets both stores alike.
  const runs: RunResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await runInChild('memory'));
    runs.push(await runInChild('disk'));
  }
  const of = (store: BenchStore) => {
    const mine = runs.filter((run) => run.store === store);
    return {
      rate: median(mine.map((run) => run.messagesPerSecond)),
      peak: median(mine.map((run) => run.peakRssMiB)),
      end: median(mine.map((run) => run.endRssMiB)),
      idle: median(mine.map((run) => run.idleRssMiB)),
      all: mine.map((run) => fixed(run.messagesPerSecond, 1)).join(', '),
    };
  };
  const disk = of('disk');
  const memory = of('memory');
  console.log(
    `\nbench/ingest --store=both: the embedded store in memory vs durable on disk, median of ${RUNS} runs each\n`,
  );
  console.log(
    table([
      ['', 'messages/s', 'each run', 'peak RSS MiB', 'end RSS MiB', 'idle RSS MiB'],
      ...[
        ['disk (SQLite)', disk],
        ['memory', memory],
      ].map(([label, r]) => {
        const row = r as typeof disk;
        return [
          label as string,
          fixed(row.rate, 1),
          row.all,
          fixed(row.peak, 0),
          fixed(row.end, 0),
          fixed(row.idle, 0),
        ];
      }),
      [
        'ratio disk/memory',
        `${fixed(disk.rate / memory.rate)}x`,
        '',
        `${fixed(disk.peak / memory.peak)}x`,
        `${fixed(disk.end / memory.end)}x`,
        `${fixed(disk.idle / memory.idle)}x`,
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
    console.error(
      `bench/ingest needs a corpus of .eml messages with a MANIFEST.tsv at ${corpus} (--corpus=dir)`,
    );
    process.exit(2);
  }
  const started = now();
  ensureBuild();
  const redisUrl = process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
  const scratch = mkdtempSync(join(tmpdir(), 'postroom-bench-'));
  const dovecot = await startDovecot();
  let postroom: PostroomUnderTest | undefined;
  try {
    const user = dovecot.userFor('bench-ingest');
    const baselineDir = join(scratch, 'baseline');
    const { bytes, refused, corpusSize } = await prepareMail(dovecot, user, baselineDir);
    // The baseline first, in a process that has done nothing else.
    const bareRun = await runBaseline(baselineDir);
    const bare = { result: bareRun.ms, peak: bareRun.peak };

    let pid = 0;
    const ours = await peakRss(
      async () => {
        const t0 = now();
        postroom = await startPostroom({
          config: config(dovecot, user, join(scratch, 'outbox')),
          roles: 'watcher,ingest',
          store,
          scratch,
          redisUrl,
        });
        pid = postroom.pid;
        const running = postroom;
        await waitUntil(
          async () => {
            const { stored, failed } = await accounted(running);
            return stored + failed >= MESSAGES;
          },
          { timeoutMs: TIMEOUT_MS, intervalMs: 100, what: `${MESSAGES} messages stored` },
        );
        return { ms: now() - t0, postroom: running };
      },
      () => (pid ? rssOfPid(pid) : 0),
    );
    const running = ours.result.postroom;
    // At the end of the run, with everything still open: what stays after ingesting.
    const endRss = running.rss();
    const endParts = running.rssParts();
    // What stays once Postroom has been idle a while (V8 gives back the heap a
    // burst grew when its allocation rate drops).
    await new Promise((done) => setTimeout(done, SETTLE_MS));
    const settledRss = running.rss();
    // To see what holds the memory: POSTROOM_BENCH_HEAP_SNAPSHOT=<folder> has
    // Postroom write a heap snapshot there now (its path is printed).
    if (process.env.POSTROOM_BENCH_HEAP_SNAPSHOT) {
      console.log(`  heap snapshot: ${await running.heapSnapshot()}`);
    }
    const counts = await accounted(running);
    const mix = await mixOf(running);
    const mongoLabel = running.mongoLabel;
    await running.stop();

    const rate = (ms: number) => (MESSAGES / ms) * 1000;
    console.log(
      `\nbench/ingest: ${MESSAGES} messages (${mib(bytes)} MiB, the corpus of ${corpusSize} cycled, each with its own Message-ID) from Dovecot; MongoDB: ${mongoLabel}\n`,
    );
    console.log(
      table([
        [
          '',
          'messages',
          'seconds',
          'messages/s',
          'ratio to bare',
          'peak RSS MiB',
          'end RSS MiB',
          'idle RSS MiB',
        ],
        [
          'Postroom (IMAP watcher + ingest)',
          String(counts.stored + counts.failed),
          fixed(ours.result.ms / 1000),
          fixed(rate(ours.result.ms), 1),
          `${fixed(rate(ours.result.ms) / rate(bare.result))}x`,
          mib(ours.peak),
          mib(endRss),
          mib(settledRss),
        ],
        [
          'bare mailparser simpleParser',
          String(bareRun.messages),
          fixed(bare.result / 1000),
          fixed(rate(bare.result), 1),
          '1.00x',
          mib(bare.peak),
          '',
          '',
        ],
      ]),
    );
    console.log(
      `\n  Postroom: clock from the process's start (compiled build, as npm start runs it: connect, sync, enqueue, parse, GridFS, threading, store) to the ${MESSAGES}th stored message`,
    );
    console.log(
      `  stored ${counts.stored}, failed for good ${counts.failed}; ${mix.conversations} conversations; auto-submitted ${mix.autoSubmitted}; with attachments ${mix.withAttachments}; stored with a parse error ${mix.parseErrors}`,
    );
    if (refused > 0) console.log(`  Dovecot refused ${refused} APPENDs (not counted)`);
    console.log(
      "  peak and end RSS are Postroom's process alone (its embedded store included); the baseline's is its own process",
    );
    console.log(
      `  end RSS: at the ${MESSAGES}th message; idle RSS: ${SETTLE_MS / 1000} s later, nothing else to do`,
    );
    console.log(
      `  end RSS: ${mib(endParts.anon)} MiB anonymous (JS heap, buffers, native allocations) + ${mib(endParts.file)} MiB mapped files (node's code and libraries)`,
    );
    const result: RunResult = {
      store,
      messagesPerSecond: rate(ours.result.ms),
      peakRssMiB: ours.peak / 1024 / 1024,
      endRssMiB: endRss / 1024 / 1024,
      idleRssMiB: settledRss / 1024 / 1024,
    };
    console.log(`${RESULT_PREFIX}${JSON.stringify(result)}`);
  } finally {
    await (postroom as PostroomUnderTest | undefined)?.stop();
    await dovecot.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(`\ndone in ${fixed((now() - started) / 1000, 1)} s`);
}

const baselineArg = process.argv.find((a) => a.startsWith('--baseline='));
const mode = storeArgument();
if (baselineArg) await baseline(baselineArg.slice('--baseline='.length));
else if (mode === 'both') await both();
else await main(mode);
