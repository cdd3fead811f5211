// The IMAP connections behind delivery's Sent-folder work: one per mailbox and
// process, opened on first use, shared by that mailbox's deliveries, and
// logged out after IDLE_CLOSE_MS without use.
//
// Why shared rather than one per operation: with append_sent on, every reply
// is an APPEND, and a connection each would mean a LOGIN per reply to
// providers that throttle logins (Gmail, Microsoft 365), plus three round
// trips before the APPEND. Why only one: imapflow sends one command at a time
// anyway, and providers cap connections per account (Gmail: 15), which the
// inbox watcher shares.
import { randomBytes } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import type { Logger } from '../../platform/logger.ts';
import { closeImapClient, createImapClient, withTimeout } from './imap-connection.ts';
import type { SentFolderRoute } from './sent-folder-types.ts';

// A burst of replies keeps the connection; a quiet minute gives it back, so
// an idle delivery process holds no IMAP sessions (servers log idle ones out
// after 30 minutes anyway, RFC 9051).
const IDLE_CLOSE_MS = 60_000;

interface Slot {
  fingerprint: string;
  client: Promise<ImapFlow> | null;
  users: number;
  idle: NodeJS.Timeout | null;
  /** The resolved Sent folder path, cached for the connection's life. */
  folder: string | null;
}

export interface SentConnections {
  /**
   * Run `work` on the mailbox's connection (opened when there is none), all
   * within `timeoutMs`. On any failure the connection is dropped, so a stuck
   * or broken one is never reused.
   */
  use<T>(
    route: SentFolderRoute,
    timeoutMs: number,
    what: string,
    work: (client: ImapFlow, slot: { folder: string | null }) => Promise<T>,
  ): Promise<T>;
  close(): Promise<void>;
}

export function createSentConnections(logger: Logger): SentConnections {
  const slots = new Map<string, Slot>();

  function slotFor(route: SentFolderRoute): Slot {
    // The password is part of the identity: a rotated secret gets a new session.
    const fingerprint = JSON.stringify([
      route.host,
      route.port,
      route.secure,
      route.auth.user,
      'pass' in route.auth ? route.auth.pass : route.auth.accessToken,
      route.folder,
    ]);
    const existing = slots.get(route.key);
    if (existing?.fingerprint === fingerprint) return existing;
    if (existing) drop(existing);
    const slot: Slot = { fingerprint, client: null, users: 0, idle: null, folder: null };
    slots.set(route.key, slot);
    return slot;
  }

  function open(route: SentFolderRoute, slot: Slot): Promise<ImapFlow> {
    const connectionId = `sent-${randomBytes(4).toString('hex')}`;
    const log = logger.child({ mailbox: route.key, connection_id: connectionId });
    const client = createImapClient(route, connectionId, log);
    const opening = client.connect().then(
      () => client,
      (error: unknown) => {
        client.close();
        throw error;
      },
    );
    client.on('close', () => {
      // The server hung up (or we did): the next use opens a new session.
      if (slot.client === opening) {
        slot.client = null;
        slot.folder = null;
      }
    });
    return opening;
  }

  /** Forget the slot's connection and log it out in the background. */
  function drop(slot: Slot, only?: Promise<ImapFlow>): void {
    const client = slot.client;
    if (!client || (only && client !== only)) return;
    slot.client = null;
    slot.folder = null;
    client.then(
      (c) => closeImapClient(c, logger),
      () => undefined,
    );
  }

  function closeWhenIdle(slot: Slot): void {
    if (!slot.client) return;
    slot.idle = setTimeout(() => drop(slot), IDLE_CLOSE_MS);
    // An idle connection must not keep the process alive.
    slot.idle.unref();
  }

  return {
    async use(route, timeoutMs, what, work) {
      const slot = slotFor(route);
      slot.users += 1;
      if (slot.idle) clearTimeout(slot.idle);
      slot.idle = null;
      const opening = slot.client ?? (slot.client = open(route, slot));
      try {
        return await withTimeout(
          opening.then((client) => work(client, slot)),
          timeoutMs,
          what,
        );
      } catch (error) {
        drop(slot, opening);
        throw error;
      } finally {
        slot.users -= 1;
        if (slot.users === 0) closeWhenIdle(slot);
      }
    },
    async close() {
      const closing: Array<Promise<void>> = [];
      for (const slot of slots.values()) {
        if (slot.idle) clearTimeout(slot.idle);
        const client = slot.client;
        slot.client = null;
        if (client) {
          closing.push(
            client.then(
              (c) => closeImapClient(c, logger),
              () => undefined,
            ),
          );
        }
      }
      slots.clear();
      await Promise.all(closing);
    },
  };
}
