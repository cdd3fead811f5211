// Layout of a drop folder: files are dropped at the top, claimed into
// .processing/ by an atomic rename (so two processes never take the same
// file), and end in processed/ or in failed/ with a .error.txt beside them.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

export const DROP_SUBFOLDERS = {
  processing: '.processing',
  processed: 'processed',
  failed: 'failed',
} as const;

export function processingPath(dropFolder: string, name: string): string {
  return join(dropFolder, DROP_SUBFOLDERS.processing, basename(name));
}

export async function ensureDropFolder(dropFolder: string): Promise<void> {
  for (const sub of Object.values(DROP_SUBFOLDERS))
    await mkdir(join(dropFolder, sub), { recursive: true });
}

/** Move a claimed file to processed/ (ingested, or a duplicate of something ingested). */
export async function markProcessed(dropFolder: string, name: string): Promise<void> {
  await moveIfPresent(
    processingPath(dropFolder, name),
    join(dropFolder, DROP_SUBFOLDERS.processed, basename(name)),
  );
}

/** Move a claimed file to failed/ with the reason in `<name>.error.txt`. */
export async function markFailed(dropFolder: string, name: string, reason: string): Promise<void> {
  const target = join(dropFolder, DROP_SUBFOLDERS.failed, basename(name));
  await writeFile(`${target}.error.txt`, `${reason.trim()}\n`, 'utf8');
  await moveIfPresent(processingPath(dropFolder, name), target);
}

async function moveIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    // A retried job may find the file already moved: that is the state we want.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
