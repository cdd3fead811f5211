// Shared by the durable-store tests: fresh data directories, and a child
// process that hosts a store on one (test/support/embedded-store-child.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../../support/wait.ts';

const root = join(import.meta.dirname, '..', '..', '..');

export function tempDataDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `postroom-store-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface StoreChild {
  child: ChildProcess;
  /** Every line the child printed so far. */
  lines: string[];
  exited: Promise<void>;
  kill9(): Promise<void>;
}

export async function startStoreChild(
  dataDir: string,
  mode: 'hold' | 'write',
): Promise<StoreChild> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'test/support/embedded-store-child.ts'), dataDir, mode],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  let stderr = '';
  let buffer = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const complete = buffer.split('\n');
    buffer = complete.pop() ?? '';
    lines.push(...complete);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitUntil(
    () => lines.some((line) => line.startsWith('ready ')) || child.exitCode !== null,
    {
      what: 'the store child to open its data directory',
    },
  );
  if (child.exitCode !== null) throw new Error(`the store child exited early: ${stderr}`);
  return {
    child,
    lines,
    exited,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
