// Stopping a server together with the processes it forked. Dovecot's master
// exits on SIGTERM but its imap processes keep serving their clients for several
// seconds; a test that restarts the server expects those clients to be cut off.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { waitUntil } from '../wait.ts';

/** State and parent from /proc/PID/stat ("pid (comm) state ppid ..."; comm may hold spaces). */
function statOf(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state && ppid ? { state, ppid: Number(ppid) } : undefined;
  } catch {
    return undefined;
  }
}

// A zombie has exited; in a container nobody may ever reap it.
function alive(pid: number): boolean {
  const state = statOf(pid)?.state;
  return state !== undefined && state !== 'Z' && state !== 'X';
}

export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const ppid = statOf(pid)?.ppid;
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const pending = [root];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      pending.push(child);
    }
  }
  return found;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** SIGTERM to the process and everything it forked; SIGKILL what is left after `timeoutMs`. */
export async function stopProcessTree(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const all = [child.pid, ...descendantsOf(child.pid)];
  for (const pid of all) signal(pid, 'SIGTERM');
  try {
    await waitUntil(() => all.every((pid) => !alive(pid)), {
      timeoutMs,
      intervalMs: 10,
      what: `process ${child.pid} and its children to exit`,
    });
  } catch {
    for (const pid of all) signal(pid, 'SIGKILL');
  }
  await exited;
}
