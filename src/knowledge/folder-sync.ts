// Keeping an account's knowledge folder (bootstrap `knowledge.folder`) in the
// store: the folder is polled by modification time and size, and only when
// something changed are its files read and the store brought in line (new and
// changed files rewritten, deleted ones removed). Polling rather than
// fs.watch: it behaves the same on every file system, network mounts and
// Docker bind mounts included, and a missed event cannot leave it stale.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import type { Logger } from '../platform/logger.ts';
import type { Stoppable } from '../platform/stoppable.ts';
import type { KnowledgeFormat, NewKnowledgeDocument, Store } from '../store/index.ts';
import { titleOf } from './chunk.ts';

const FORMATS: Record<string, KnowledgeFormat> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.txt': 'text',
  '.text': 'text',
};
// A knowledge article, not a data dump: larger files are skipped (and logged).
const MAX_FILE_BYTES = 2 * 1024 * 1024;

interface FileStamp {
  path: string;
  full: string;
  mtimeMs: number;
  size: number;
}

async function listFiles(folder: string): Promise<FileStamp[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files: FileStamp[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !FORMATS[extname(entry.name).toLowerCase()]) continue;
    // Hidden files and folders (editor swap files, .git) are not knowledge.
    const full = join(entry.parentPath, entry.name);
    const path = relative(folder, full).split(sep).join('/');
    if (path.split('/').some((part) => part.startsWith('.'))) continue;
    const info = await stat(full).catch(() => null);
    if (info) files.push({ path, full, mtimeMs: info.mtimeMs, size: info.size });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** Reads the folder into the store once; returns the signature it read. */
async function syncKnowledgeFolder(
  store: Pick<Store, 'knowledge'>,
  logger: Pick<Logger, 'warn' | 'info'>,
  accountId: string,
  folder: string,
  previous: string | null = null,
): Promise<string> {
  const files = await listFiles(folder);
  const signature = files.map((f) => `${f.path}\0${f.mtimeMs}\0${f.size}`).join('\n');
  if (signature === previous) return signature;
  const documents: Array<NewKnowledgeDocument & { path: string }> = [];
  for (const file of files) {
    if (file.size > MAX_FILE_BYTES) {
      logger.warn({ path: file.path, bytes: file.size }, 'knowledge file too large; skipped');
      continue;
    }
    const format = FORMATS[extname(file.path).toLowerCase()] ?? 'text';
    const content = await readFile(file.full, 'utf8').catch(() => null);
    if (content === null) continue;
    const fallback = basename(file.path, extname(file.path)).replace(/[-_]+/g, ' ');
    documents.push({ path: file.path, format, content, title: titleOf(format, content, fallback) });
  }
  const changed = await store.knowledge.syncFolder(accountId, documents);
  if (changed > 0) logger.info({ account: accountId, changed }, 'knowledge folder re-indexed');
  return signature;
}

/** Polls every account's knowledge folder; the first pass runs before it returns. */
export async function startKnowledgeFolders(context: {
  bootstrap: Bootstrap;
  store: Pick<Store, 'knowledge'>;
  logger: Logger;
}): Promise<Stoppable[]> {
  const accounts = context.bootstrap.accounts.filter((a) => a.knowledge.folder);
  if (accounts.length === 0) return [];
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const loops = accounts.map(async (account) => {
    const folder = account.knowledge.folder as string;
    const log = context.logger.child({ account: account.id, knowledge_folder: folder });
    let signature: string | null = null;
    const pass = async (): Promise<void> => {
      try {
        signature = await syncKnowledgeFolder(context.store, log, account.id, folder, signature);
      } catch (error) {
        log.warn({ err: error }, 'could not read the knowledge folder; will try again');
      }
    };
    await pass();
    const schedule = (): void => {
      if (stopped) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        void pass().finally(schedule);
      }, account.knowledge.poll_interval_ms);
      timer.unref();
      timers.add(timer);
    };
    schedule();
  });
  await Promise.all(loops);
  return [
    {
      name: 'knowledge-folders',
      stop: async () => {
        stopped = true;
        for (const timer of timers) clearTimeout(timer);
      },
    },
  ];
}
