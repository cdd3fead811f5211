// The address of the process hosting a data directory, in
// <data dir>/store.lock.json. It only says where to connect: who holds the
// directory is decided by the SQLite file lock (which dies with its process),
// so a stale file left by a killed host is harmless and simply overwritten.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface StoreLock {
  pid: number;
  host: string;
  port: number;
  started_at: string;
}

function lockPath(dataDir: string): string {
  return join(dataDir, 'store.lock.json');
}

export async function readStoreLock(dataDir: string): Promise<StoreLock | null> {
  let text: string;
  try {
    text = await readFile(lockPath(dataDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const lock = JSON.parse(text) as Partial<StoreLock>;
    if (typeof lock.port !== 'number' || typeof lock.host !== 'string') return null;
    return lock as StoreLock;
  } catch {
    return null; // Torn or foreign: treated as absent, the host rewrites it.
  }
}

/** Written whole (temp file + rename), so a reader never sees half of it. */
export async function writeStoreLock(dataDir: string, lock: StoreLock): Promise<void> {
  const temp = `${lockPath(dataDir)}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(lock)}\n`);
  await rename(temp, lockPath(dataDir));
}

/** Removed only while it still names this process. */
export async function removeStoreLock(dataDir: string): Promise<void> {
  const lock = await readStoreLock(dataDir);
  if (lock?.pid === process.pid) await rm(lockPath(dataDir), { force: true });
}
