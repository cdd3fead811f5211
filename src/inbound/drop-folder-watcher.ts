// Watches a drop folder: every `.eml` placed there is claimed and handed to
// the ingest queue. The folder is polled (fs.watch misses events on network
// file systems and after overflows) and fs.watch only makes the poll come sooner.
import { createHash } from 'node:crypto';
import { createReadStream, watch, type FSWatcher } from 'node:fs';
import { readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../platform/logger.ts';
import { DROP_SUBFOLDERS, ensureDropFolder, markFailed, processingPath } from './drop-folder.ts';
import { tooLargeReason } from './ingest/mail-size.ts';

/** Hashed as a stream: the watcher never holds a whole (possibly large) file. */
async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface ClaimedFile {
  /** Name inside .processing/, unique per claim. */
  name: string;
  sha256: string;
  size: number;
}

export interface DropFolderWatcherOptions {
  mailboxId: string;
  folder: string;
  /** Enqueue the claimed file; throwing leaves it in .processing/ to be retried. */
  deliver(file: ClaimedFile): Promise<void>;
  /** Files larger than this are not read: they go to failed/ with the reason. Default: no limit. */
  maxFileBytes?: number;
  /**
   * Told about a file refused for its size before it moves to failed/, to record it;
   * throwing leaves it in .processing/ to be tried again.
   */
  refused?(file: { name: string; size: number }, reason: string): Promise<void>;
  logger: Logger;
  /** Poll interval; default 1 s. */
  pollIntervalMs?: number;
  /**
   * A file must be unchanged for this long before it is taken, so a file
   * still being written (cp, scp) is not ingested half-way. Default 500 ms.
   */
  settleMs?: number;
}

export interface DropFolderWatcher {
  stop(): Promise<void>;
  /** Run one pass now; resolves when it is done. */
  syncNow(): Promise<void>;
}

export async function startDropFolderWatcher(
  options: DropFolderWatcherOptions,
): Promise<DropFolderWatcher> {
  const log = options.logger.child({ mailbox: options.mailboxId, drop_folder: options.folder });
  const pollMs = options.pollIntervalMs ?? 1_000;
  const settleMs = options.settleMs ?? 500;
  await ensureDropFolder(options.folder);
  let stopped = false;
  let pass: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const undelivered = new Set<string>();
  let recovered = false;

  async function claimAndDeliver(): Promise<void> {
    // Files left in .processing/ by a crash (or whose enqueue failed) are handed over again;
    // their job ids are derived from the claimed name, so a job still queued is not doubled.
    if (!recovered) {
      for (const name of await readdir(join(options.folder, DROP_SUBFOLDERS.processing)))
        undelivered.add(name);
      recovered = true;
    }
    for (const entry of await readdir(options.folder, { withFileTypes: true })) {
      if (stopped) return;
      if (!entry.isFile() || !entry.name.toLowerCase().endsWith('.eml')) continue;
      const path = join(options.folder, entry.name);
      const info = await stat(path).catch(() => null);
      if (!info || Date.now() - info.mtimeMs < settleMs) continue;
      const claimed = `${Date.now().toString(36)}-${process.pid}-${entry.name}`;
      try {
        await rename(path, processingPath(options.folder, claimed));
      } catch {
        continue; // Another process claimed it first.
      }
      undelivered.add(claimed);
    }
    for (const name of [...undelivered]) {
      if (stopped) return;
      const path = processingPath(options.folder, name);
      const size = (await stat(path).catch(() => null))?.size;
      if (size === undefined) {
        undelivered.delete(name);
        continue;
      }
      try {
        if (options.maxFileBytes !== undefined && size > options.maxFileBytes) {
          await refuse(name, size, options.maxFileBytes);
        } else {
          await options.deliver({ name, sha256: await sha256Of(path), size });
          log.debug({ file: name, size }, 'drop-folder file handed to ingest');
        }
        undelivered.delete(name);
      } catch (error) {
        log.warn({ err: error, file: name }, 'could not hand a drop-folder file over; will retry');
      }
    }
  }

  async function refuse(name: string, size: number, limit: number): Promise<void> {
    const reason = `not ingested: ${tooLargeReason(size, limit)}`;
    await options.refused?.({ name, size }, reason);
    await markFailed(options.folder, name, reason);
    log.error(
      { file: name, size, max_mail_bytes: limit },
      'drop-folder file too large: moved to failed/',
    );
  }

  function runPass(): Promise<void> {
    pass = pass
      .then(() => (stopped ? undefined : claimAndDeliver()))
      .catch((error: unknown) => log.warn({ err: error }, 'drop-folder pass failed; will retry'));
    return pass;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => void runPass().then(schedule), pollMs);
  }

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(options.folder, () => {
      // A settle delay later the new file is old enough to take.
      setTimeout(() => void runPass(), settleMs + 50).unref();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined; // Polling alone still works.
  }

  log.info('watching drop folder');
  void runPass().then(schedule);

  return {
    syncNow: runPass,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      watcher?.close();
      await pass;
    },
  };
}
