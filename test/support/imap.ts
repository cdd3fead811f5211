// What a test file needs to reach the suite's shared Dovecot (started by
// test/run.ts), and a way to put mail into a mailbox as another client would.
import { ImapFlow } from 'imapflow';
import { uniqueName } from './env.ts';
import { DENIED_USER_PREFIX, UNAVAILABLE_USER_PREFIX } from './services/dovecot-config.ts';

/** User names for the test Dovecot (dovecot-config.ts): each call gives a fresh one. */
export interface ImapUserNames {
  /** A user no other test has used: logs in with the server password, mailbox starts empty. */
  userFor(label: string): string;
  /** Login always refused at once: NO [AUTHENTICATIONFAILED], like a wrong password. */
  deniedUserFor(label: string): string;
  /** Login fails as a temporary server problem: NO [UNAVAILABLE] (after about 0.5 s). */
  unavailableUserFor(label: string): string;
}

export interface TestImapServer extends ImapUserNames {
  host: string;
  port: number;
  /** Every user's password; any other password fails (after about 0.5 s). */
  password: string;
}

// Dovecot lowercases user names (auth_username_format = %Lu): hand out lowercase ones.
function freshUser(label: string): string {
  return uniqueName(label.toLowerCase().replace(/[^a-z0-9_.-]/g, '-') || 'u');
}

export const imapUserNames: ImapUserNames = {
  userFor: freshUser,
  deniedUserFor: (label) => `${DENIED_USER_PREFIX}${freshUser(label)}`,
  unavailableUserFor: (label) => `${UNAVAILABLE_USER_PREFIX}${freshUser(label)}`,
};

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through "npm test"`);
  return value;
}

/** The suite's shared Dovecot. */
export function testImapServer(): TestImapServer {
  return {
    host: required('POSTROOM_TEST_IMAP_HOST'),
    port: Number(required('POSTROOM_TEST_IMAP_PORT')),
    password: required('POSTROOM_TEST_IMAP_PASSWORD'),
    ...imapUserNames,
  };
}

export interface AppendedMessage {
  uid: number;
  uidValidity: bigint;
}

/** Appends `raw` to `folder` of `user` over a connection of its own, then logs out. */
export async function appendMessage(
  server: Pick<TestImapServer, 'host' | 'port' | 'password'>,
  user: string,
  raw: string | Buffer,
  folder = 'INBOX',
  flags: string[] = [],
): Promise<AppendedMessage> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    auth: { user, pass: server.password },
    logger: false,
  });
  await client.connect();
  try {
    // Creating an existing mailbox is not an error for imapflow (ALREADYEXISTS).
    if (folder !== 'INBOX') await client.mailboxCreate(folder);
    const result = await client.append(folder, raw, flags);
    if (!result || result.uid === undefined || result.uidValidity === undefined) {
      throw new Error(`APPEND to ${folder} of ${user} returned no UID`);
    }
    return { uid: result.uid, uidValidity: result.uidValidity };
  } finally {
    await client.logout().catch(() => undefined);
  }
}

async function withUser<T>(
  server: Pick<TestImapServer, 'host' | 'port' | 'password'>,
  user: string,
  work: (client: ImapFlow) => Promise<T>,
): Promise<T> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    auth: { user, pass: server.password },
    logger: false,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout().catch(() => undefined);
  }
}

/** Create `folder` of `user` (the test Dovecot marks "Sent" \Sent but creates it on demand). */
export async function createFolder(
  server: Pick<TestImapServer, 'host' | 'port' | 'password'>,
  user: string,
  folder: string,
): Promise<void> {
  await withUser(server, user, async (client) => {
    await client.mailboxCreate(folder);
  });
}

/** The bare Message-ID of every message in `folder` of `user`, in UID order (one entry per copy). */
export async function folderMessageIds(
  server: Pick<TestImapServer, 'host' | 'port' | 'password'>,
  user: string,
  folder: string,
): Promise<string[]> {
  return withUser(server, user, async (client) => {
    const lock = await client.getMailboxLock(folder, { readOnly: true });
    try {
      const ids: string[] = [];
      if (client.mailbox === false || client.mailbox.exists === 0) return ids;
      for await (const message of client.fetch('1:*', { envelope: true, uid: true })) {
        ids.push((message.envelope?.messageId ?? '').replace(/^<|>$/g, ''));
      }
      return ids;
    } finally {
      lock.release();
    }
  });
}
