// One look at a mailbox's IMAP account, for `postroom doctor`: connect, log
// in, open the folder read-only, log out. What failed comes back in words.
import type { Logger } from '../../platform/logger.ts';
import { classifyFailure, describeError } from './imap-errors.ts';
import { closeImapClient, createImapClient, withTimeout } from './imap-connection.ts';
import type { ImapSettings } from './types.ts';

export type ImapProbe =
  | { ok: true; messages: number }
  | { ok: false; stage: 'connect' | 'login' | 'folder'; problem: string };

const PROBE_TIMEOUT_MS = 20_000;

export async function probeImap(
  imap: Pick<ImapSettings, 'host' | 'port' | 'secure' | 'auth' | 'folder'>,
  log: Logger,
): Promise<ImapProbe> {
  const client = createImapClient(imap, `doctor-${imap.auth.user}`, log);
  try {
    try {
      await withTimeout(client.connect(), PROBE_TIMEOUT_MS, 'connecting and logging in');
    } catch (error) {
      const auth = classifyFailure(error) === 'auth';
      return {
        ok: false,
        stage: auth ? 'login' : 'connect',
        problem: auth
          ? `the server refused the login of ${imap.auth.user}: check the user name and password (${describeError(error)})`
          : `could not reach ${imap.host}:${imap.port}${imap.secure ? ' over TLS' : ''}: ${describeError(error)}`,
      };
    }
    try {
      const lock = await withTimeout(
        client.getMailboxLock(imap.folder, { readOnly: true }),
        PROBE_TIMEOUT_MS,
        `opening ${imap.folder}`,
      );
      try {
        const mailbox = client.mailbox;
        return { ok: true, messages: mailbox ? mailbox.exists : 0 };
      } finally {
        lock.release();
      }
    } catch (error) {
      return {
        ok: false,
        stage: 'folder',
        problem: `logged in, but the folder "${imap.folder}" cannot be opened: ${describeError(error)}`,
      };
    }
  } finally {
    await closeImapClient(client, log);
  }
}
