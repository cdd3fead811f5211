// A mailbox's Sent folder, as delivery uses it: "is this Message-ID there?"
// after an attempt whose outcome a crash lost (Gmail and Microsoft 365 file
// what their SMTP accepts there), and "store this copy" after a send for
// servers that file nothing (append_sent). Both ride the mailbox's shared
// connection (sent-connections.ts) under one deadline each.
import type { ImapFlow } from 'imapflow';
import type { Logger } from '../../platform/logger.ts';
import { classifyFailure, describeError } from './imap-errors.ts';
import { createSentConnections } from './sent-connections.ts';
import {
  SentFolderError,
  type SentFolderFailure,
  type SentFolderRoute,
  type SentFolders,
} from './sent-folder-types.ts';

// Connect, LOGIN, LIST and the command itself: a healthy server answers in
// well under a second; past 20 s it is not going to, and a delivery is waiting.
const OPERATION_TIMEOUT_MS = 20_000;
// After a failed APPEND the mailbox's next ones fail at once for a while, so a
// hanging server does not hold every delivery for OPERATION_TIMEOUT_MS and a
// refused password is not retried per reply (providers lock accounts that
// keep failing LOGIN; 5 min as the watcher's authFailureMs). The mail is out
// either way; only the copy is missing.
const APPEND_PAUSE_MS: Record<SentFolderFailure, number> = {
  auth: 5 * 60_000,
  no_folder: 5 * 60_000,
  transient: 30_000,
};
// Server answers that name a folder that is not there (RFC 5530, RFC 3501).
const MISSING_FOLDER_CODES = new Set(['NONEXISTENT', 'TRYCREATE']);

function toSentFolderError(error: unknown): SentFolderError {
  if (error instanceof SentFolderError) return error;
  const code = (error as { serverResponseCode?: unknown } | null)?.serverResponseCode;
  const failure: SentFolderFailure =
    classifyFailure(error) === 'auth'
      ? 'auth'
      : typeof code === 'string' && MISSING_FOLDER_CODES.has(code.toUpperCase())
        ? 'no_folder'
        : 'transient';
  return new SentFolderError(failure, describeError(error), { cause: error });
}

/** The configured path, else the folder the server marks \Sent (SPECIAL-USE). */
async function sentPath(client: ImapFlow, route: SentFolderRoute): Promise<string> {
  if (route.folder) return route.folder;
  const folders = await client.list({ listOnly: true });
  // The server's own SPECIAL-USE flag beats imapflow's guess from a folder name
  // (which a LIST without LSUB does not always fill in).
  const chosen =
    folders.find((f) => f.flags.has('\\Sent')) ?? folders.find((f) => f.specialUse === '\\Sent');
  if (!chosen) {
    throw new SentFolderError(
      'no_folder',
      'the server marks no folder \\Sent (SPECIAL-USE): set imap.sent_folder',
    );
  }
  return chosen.path;
}

export function createSentFolders(logger: Logger): SentFolders {
  const connections = createSentConnections(logger);
  const paused = new Map<string, { until: number; error: SentFolderError }>();

  function run<T>(
    route: SentFolderRoute,
    what: string,
    work: (client: ImapFlow, folder: string) => Promise<T>,
  ): Promise<T> {
    return connections
      .use(route, OPERATION_TIMEOUT_MS, what, async (client, slot) => {
        slot.folder ??= await sentPath(client, route);
        return work(client, slot.folder);
      })
      .catch((error: unknown) => {
        throw toSentFolderError(error);
      });
  }

  return {
    find(route, messageId) {
      return run(route, 'searching the Sent folder', async (client, folder) => {
        const lock = await client.getMailboxLock(folder, { readOnly: true });
        try {
          // HEADER is a substring match: the brackets keep it to the whole id.
          const uids = await client.search(
            { header: { 'message-id': `<${messageId}>` } },
            { uid: true },
          );
          if (uids === false || uids === undefined) {
            throw new SentFolderError('transient', `the server refused SEARCH in ${folder}`);
          }
          const uid = uids[0];
          if (uid === undefined) return { found: false, folder };
          const copy = await client.fetchOne(String(uid), { internalDate: true }, { uid: true });
          const stored = copy ? copy.internalDate : undefined;
          const storedAt = stored === undefined ? null : new Date(stored);
          return {
            found: true,
            folder,
            stored_at: storedAt && !Number.isNaN(storedAt.getTime()) ? storedAt : null,
          };
        } finally {
          lock.release();
        }
      });
    },

    async append(route, raw) {
      const pause = paused.get(route.key);
      if (pause && pause.until > Date.now()) {
        throw new SentFolderError(pause.error.failure, pause.error.message, {
          cause: pause.error,
          paused: true,
        });
      }
      try {
        return await run(route, 'APPEND to the Sent folder', async (client, folder) => {
          const stored = await client.append(folder, raw, ['\\Seen']);
          if (!stored)
            throw new SentFolderError('transient', `the server refused APPEND to ${folder}`);
          paused.delete(route.key);
          return { folder };
        });
      } catch (error) {
        const failure = toSentFolderError(error);
        paused.set(route.key, {
          until: Date.now() + APPEND_PAUSE_MS[failure.failure],
          error: failure,
        });
        throw failure;
      }
    },

    close: () => connections.close(),
  };
}
