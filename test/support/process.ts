// Run the real Postroom entry point as a child process, collecting its JSON
// log lines so tests can wait for what it says.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from './wait.ts';

const root = join(import.meta.dirname, '..', '..');

export interface PostroomProcess {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    what: string,
  ): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export function startPostroomProcess(
  env: Record<string, string>,
  entry = 'workers/postroom.ts',
): PostroomProcess {
  // Any free port for /metrics of worker-only processes: tests run side by side.
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: 'debug',
    POSTROOM_METRICS_PORT: '0',
    ...env,
  };
  // The child decides on MongoDB from its own env only.
  if (!('MONGODB_URI' in env)) delete childEnv.MONGODB_URI;
  // An embedded store of its own, unless the test shares one on purpose: the
  // default var/data of the checkout must not collect (or leak between) tests.
  let ownDataDir: string | undefined;
  if (!('POSTROOM_DATA_DIR' in env)) {
    ownDataDir = mkdtempSync(join(tmpdir(), 'postroom-data-'));
    childEnv.POSTROOM_DATA_DIR = ownDataDir;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, entry)], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  let buffer = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
      newline = buffer.indexOf('\n');
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
      resolve({ code, signal });
    }),
  );
  return {
    child,
    lines,
    stderr,
    exited,
    waitForLog: (match, what) =>
      waitUntil(() => lines.find(match), {
        timeoutMs: 30_000,
        what: `${what}; stderr: ${stderr.join('').slice(-2000)}`,
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
