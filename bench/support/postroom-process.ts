// Postroom as a user runs it: the compiled build (`npm start` runs
// dist/workers/postroom.js) in a process of its own, on its embedded store
// (durable in a data directory, or in memory) or on MONGODB_URI. Benchmarks
// measure that process, so its memory is Postroom's alone, not the bench's.
// The bench reaches the same database through the store's port, as a second
// Postroom process would.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import mongoose from 'mongoose';
import { uniqueName } from '../../test/support/env.ts';
import { dropDatabase, dropRedisPrefix } from '../../test/support/runtime.ts';
import { waitUntil } from '../../test/support/wait.ts';

const root = join(import.meta.dirname, '..', '..');

/** Where the embedded store keeps its data when MONGODB_URI is unset. */
export type BenchStore = 'memory' | 'disk';

export interface PostroomUnderTest {
  /** The database Postroom writes, for the bench's own counting queries. */
  connection: mongoose.Connection;
  /** "embedded store ..." or the MONGODB_URI host (credentials left out). */
  mongoLabel: string;
  pid: number;
  /** The process's resident set size now, in bytes (0 once it has exited). */
  rss(): number;
  /** Its RSS now, split into anonymous memory (heaps) and mapped files (node's code). */
  rssParts(): { anon: number; file: number };
  /** Has Postroom write a V8 heap snapshot (into POSTROOM_BENCH_HEAP_SNAPSHOT, a folder); resolves to its path. */
  heapSnapshot(): Promise<string>;
  /** Stops Postroom (SIGTERM, as a service manager would), drops its database and Redis keys. */
  stop(): Promise<void>;
}

/** Builds dist/ when it is missing or older than the sources, as `npm start` does. */
export function ensureBuild(): void {
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'ensure-build.mjs')], {
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('the build of dist/ failed');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** A field of /proc/<pid>/status in bytes (0 once the process has exited). */
function statusBytes(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kib ? Number(kib) * 1024 : 0;
  } catch {
    return 0; // exited
  }
}

export function rssOfPid(pid: number): number {
  return statusBytes(pid, 'VmRSS');
}

/**
 * The environment and node arguments of `npm start` (package.json), so the
 * bench runs Postroom with the same flags users get: `exec env K=V ... node
 * <flags> dist/workers/postroom.js`, with `${K:-default}` expanded.
 */
export function startCommand(): { env: Record<string, string>; nodeArgs: string[] } {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const tokens = (pkg.scripts.start ?? '').split(/\s+/).filter(Boolean);
  const expand = (value: string) =>
    value.replace(/\$\{(\w+):-([^}]*)\}/g, (_, name: string, fallback: string) => {
      return process.env[name] ?? fallback;
    });
  const env: Record<string, string> = {};
  let at = tokens[0] === 'exec' ? 1 : 0;
  if (tokens[at] === 'env') {
    at++;
    for (; tokens[at]?.includes('='); at++) {
      const [name = '', ...value] = (tokens[at] ?? '').split('=');
      env[name] = expand(value.join('='));
    }
  }
  if (tokens[at] !== 'node') throw new Error(`npm start does not run node: ${pkg.scripts.start}`);
  return { env, nodeArgs: tokens.slice(at + 1) };
}

export async function startPostroom(options: {
  config: unknown;
  roles: string;
  store: BenchStore;
  scratch: string;
  redisUrl: string;
}): Promise<PostroomUnderTest> {
  const { scratch, store } = options;
  const configPath = join(scratch, 'postroom-config.json');
  writeFileSync(configPath, JSON.stringify(options.config));
  const prefix = uniqueName('bench');
  const start = startCommand();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...start.env,
    POSTROOM_CONFIG: configPath,
    POSTROOM_ROLES: options.roles,
    POSTROOM_QUEUE_PREFIX: prefix,
    REDIS_URL: options.redisUrl,
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
  };
  // To try Node or allocator settings on Postroom alone, e.g.
  // POSTROOM_BENCH_NODE_OPTIONS=--max-semi-space-size=4; the bench's own
  // NODE_OPTIONS stay with the bench.
  const nodeOptions = [process.env.POSTROOM_BENCH_NODE_OPTIONS ?? ''];
  const snapshots = resolve(process.env.POSTROOM_BENCH_HEAP_SNAPSHOT ?? join(scratch, 'heap'));
  if (process.env.POSTROOM_BENCH_HEAP_SNAPSHOT) {
    mkdirSync(snapshots, { recursive: true });
    nodeOptions.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshots}`);
  }
  env.NODE_OPTIONS = nodeOptions.join(' ').trim();
  let mongoUri: string;
  let mongoLabel: string;
  const external = process.env.MONGODB_URI?.trim();
  if (external) {
    const url = new URL(external);
    url.pathname = `/${prefix}`;
    mongoUri = url.toString();
    env.MONGODB_URI = mongoUri;
    mongoLabel = url.host;
  } else {
    const port = await freePort();
    delete env.MONGODB_URI;
    env.POSTROOM_EMBEDDED_MONGO_PORT = String(port);
    if (store === 'memory') env.POSTROOM_EMBEDDED_STORE = 'memory';
    else env.POSTROOM_DATA_DIR = join(scratch, 'store');
    mongoUri = `mongodb://127.0.0.1:${port}/postroom`;
    mongoLabel = `embedded store in Postroom's process (${store === 'disk' ? 'durable on disk' : 'in memory'})`;
  }
  // Its log goes to a file: reading 2,000 mails' worth of log lines would
  // cost the bench CPU that Postroom should have.
  const logPath = join(scratch, 'postroom.log');
  const logFd = openSync(logPath, 'w');
  const child = spawn(process.execPath, start.nodeArgs, {
    cwd: root,
    env,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const pid = child.pid;
  if (pid === undefined) throw new Error('Postroom did not start');

  const logTail = () => readFileSync(logPath, 'utf8').slice(-3000);
  let connection: mongoose.Connection | undefined;
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`Postroom exited at start:\n${logTail()}`);
      try {
        connection = await mongoose
          .createConnection(mongoUri, { serverSelectionTimeoutMS: 500 })
          .asPromise();
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs: 60_000, intervalMs: 100, what: 'the store of the Postroom process answers' },
  );
  if (!connection) throw new Error('no connection');
  const db = connection;

  let stopped: Promise<void> | undefined;
  return {
    connection: db,
    mongoLabel,
    pid,
    rss: () => rssOfPid(pid),
    rssParts: () => ({ anon: statusBytes(pid, 'RssAnon'), file: statusBytes(pid, 'RssFile') }),
    async heapSnapshot() {
      child.kill('SIGUSR2');
      // The file appears when writing starts; it is done when its size stops growing.
      let last = -1;
      let path = '';
      await waitUntil(
        () => {
          const file = readdirSync(snapshots).find((name) => name.endsWith('.heapsnapshot'));
          if (!file) return false;
          path = join(snapshots, file);
          const size = statSync(path).size;
          const done = size > 0 && size === last;
          last = size;
          return done;
        },
        { timeoutMs: 300_000, intervalMs: 1000, what: 'the heap snapshot is written' },
      );
      return path;
    },
    stop: () =>
      (stopped ??= (async () => {
        // The bench's own connection first: the embedded store goes with Postroom.
        if (external) await dropDatabase(mongoUri).catch(() => undefined);
        await db.close().catch(() => undefined);
        if (child.exitCode === null) child.kill('SIGTERM');
        const code = await exited;
        if (code !== 0 && code !== null)
          console.error(`Postroom exited with ${code}:\n${logTail()}`);
        process.env.POSTROOM_TEST_REDIS_URL ??= options.redisUrl;
        await dropRedisPrefix(prefix);
      })()),
  };
}
