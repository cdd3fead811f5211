// Opening and closing one imapflow connection the way the watcher (and
// delivery's Sent-folder connection) needs it.
import { ImapFlow } from 'imapflow';
import type { Logger } from '../../platform/logger.ts';
import { imapflowLogger } from './imap-logger.ts';
import type { ImapSettings } from './types.ts';

// imapflow's default of 90 s to reach a usable socket is long for a watcher that retries anyway.
const CONNECTION_TIMEOUT_MS = 30_000;
// LOGOUT is a courtesy; a server that does not answer it in 3 s gets the socket closed.
const LOGOUT_TIMEOUT_MS = 3_000;

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A client not yet connected; its log lines and imapflow's carry `connectionId`. */
export function createImapClient(
  imap: Pick<ImapSettings, 'host' | 'port' | 'secure' | 'auth' | 'require_tls'>,
  connectionId: string,
  log: Logger,
): ImapFlow {
  const client = new ImapFlow({
    host: imap.host,
    port: imap.port,
    secure: imap.secure,
    // XOAUTH2 when given an access token (imapflow picks the SASL mechanism from the shape).
    auth:
      'accessToken' in imap.auth
        ? { user: imap.auth.user, accessToken: imap.auth.accessToken }
        : { user: imap.auth.user, pass: imap.auth.pass },
    // require_tls: no login unless STARTTLS succeeds (imapflow otherwise falls back to plain).
    ...(imap.require_tls && !imap.secure ? { doSTARTTLS: true } : {}),
    id: connectionId,
    logger: imapflowLogger(log),
    clientInfo: { name: 'Postroom' },
    // IDLE is started by the watcher after each pass, not by imapflow's 15 s
    // inactivity timer (delivery's connection never idles: it closes when quiet).
    disableAutoIdle: true,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
  });
  // imapflow emits 'error' once before closing; without a listener it would crash the process.
  // This listener is never removed, so a late socket error cannot become an uncaught exception.
  client.on('error', (error: Error) => log.warn({ err: error }, 'IMAP connection error'));
  return client;
}

/** LOGOUT when the connection still works (bounded), then close the socket in any case. */
export async function closeImapClient(client: ImapFlow, log: Logger): Promise<void> {
  client.removeAllListeners('exists');
  client.removeAllListeners('close');
  if (client.usable) {
    try {
      await withTimeout(client.logout(), LOGOUT_TIMEOUT_MS, 'LOGOUT');
    } catch (error) {
      log.debug({ err: error }, 'LOGOUT failed; closing the socket');
    }
  }
  client.close();
}
