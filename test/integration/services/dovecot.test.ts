// Smoke test of the test Dovecot through imapflow, the client Postroom uses:
// what the mail tests rely on (APPEND, FETCH, IDLE, restart, auth failure) works.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { appendMessage, testImapServer, type TestImapServer } from '../../support/imap.ts';
import { startDovecot, type DovecotServer } from '../../support/services/dovecot.ts';

const EVENT_TIMEOUT_MS = 10_000;

type ImapError = Error & { authenticationFailed?: boolean; serverResponseCode?: string };

function rawMessage(subject: string): string {
  return [
    'From: Customer <customer@example.com>',
    'To: Support <support@example.com>',
    `Subject: ${subject}`,
    `Message-ID: <${subject.replace(/\W/g, '')}@example.com>`,
    'Date: Mon, 06 May 2024 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'My order has not arrived.',
    '',
  ].join('\r\n');
}

function clientFor(
  server: Pick<TestImapServer, 'host' | 'port'>,
  user: string,
  pass: string,
): ImapFlow {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    auth: { user, pass },
    logger: false,
  });
  // A server going away emits 'error'; the tests check 'close' and rejections instead.
  client.on('error', () => undefined);
  return client;
}

let shared: TestImapServer;
let own: DovecotServer | undefined;
const clients: ImapFlow[] = [];

before(async () => {
  // Run directly (not through npm test), the file brings a Dovecot of its own.
  if (!process.env.POSTROOM_TEST_IMAP_PORT) own = await startDovecot();
  shared = own ?? testImapServer();
});

after(async () => {
  for (const client of clients) await client.logout().catch(() => client.close());
  await own?.stop();
});

function connectTo(server: TestImapServer, user: string): Promise<ImapFlow> {
  const client = clientFor(server, user, server.password);
  clients.push(client);
  return client.connect().then(() => client);
}

describe('test Dovecot', () => {
  test('APPEND then FETCH returns the same source, with a BigInt UIDVALIDITY', async () => {
    const user = shared.userFor('append');
    const raw = rawMessage('Where is my order');
    const appended = await appendMessage(shared, user, raw);
    assert.equal(typeof appended.uidValidity, 'bigint');

    const client = await connectTo(shared, user);
    const mailbox = await client.mailboxOpen('INBOX');
    assert.equal(mailbox.exists, 1);
    assert.equal(mailbox.uidValidity, appended.uidValidity);
    const message = await client.fetchOne(
      String(appended.uid),
      { source: true, envelope: true },
      { uid: true },
    );
    assert.ok(message, 'the appended message is fetched');
    assert.equal(message.source?.toString('utf8'), raw);
    assert.equal(message.envelope?.subject, 'Where is my order');
  });

  test('each user name gets its own empty mailbox', async () => {
    const first = shared.userFor('iso');
    const second = shared.userFor('iso');
    assert.notEqual(first, second);
    await appendMessage(shared, first, rawMessage('Only for the first'));
    const client = await connectTo(shared, second);
    const status = await client.status('INBOX', { messages: true });
    assert.ok(status);
    assert.equal(status.messages, 0);
  });

  test('appendMessage creates a missing folder, with / as the separator', async () => {
    const user = shared.userFor('folder');
    await appendMessage(shared, user, rawMessage('Filed'), 'Support/Escalated');
    await appendMessage(shared, user, rawMessage('Filed again'), 'Support/Escalated');
    const client = await connectTo(shared, user);
    const status = await client.status('Support/Escalated', { messages: true });
    assert.ok(status);
    assert.equal(status.messages, 2);
  });

  test('IDLE reports an APPEND made by another client', async () => {
    const user = shared.userFor('idle');
    const watcher = await connectTo(shared, user);
    await watcher.mailboxOpen('INBOX');
    const exists = once(watcher, 'exists', { signal: AbortSignal.timeout(EVENT_TIMEOUT_MS) });
    const idling = watcher.idle();

    await appendMessage(shared, user, rawMessage('Arrives during IDLE'));
    const [event] = (await exists) as [{ path: string; count: number; prevCount: number }];
    assert.equal(event.path, 'INBOX');
    assert.equal(event.count, 1);
    assert.equal(event.prevCount, 0);
    // The next command ends IDLE.
    await watcher.noop();
    await idling;
  });

  test('a denied user name and a wrong password fail with AUTHENTICATIONFAILED', async () => {
    for (const [user, pass] of [
      [shared.deniedUserFor('denied'), shared.password],
      [shared.userFor('wrong-password'), `${shared.password}-not`],
    ] as const) {
      const client = clientFor(shared, user, pass);
      await assert.rejects(client.connect(), (error: ImapError) => {
        assert.equal(error.authenticationFailed, true, `${user}: ${error.message}`);
        assert.equal(error.serverResponseCode, 'AUTHENTICATIONFAILED');
        return true;
      });
      client.close();
    }
  });

  test('an unavailable user name fails with the temporary UNAVAILABLE code', async () => {
    const client = clientFor(shared, shared.unavailableUserFor('tempfail'), shared.password);
    await assert.rejects(client.connect(), (error: ImapError) => {
      assert.equal(error.serverResponseCode, 'UNAVAILABLE');
      return true;
    });
    client.close();
  });
});

describe('a Dovecot of its own', () => {
  test('restart() keeps the port and the mail; connected clients are closed', async (t) => {
    const dovecot = await startDovecot();
    t.after(() => dovecot.stop());
    const user = dovecot.userFor('restart');
    const { uid, uidValidity } = await appendMessage(dovecot, user, rawMessage('Before restart'));
    const before = await connectTo(dovecot, user);
    await before.mailboxOpen('INBOX');
    const closed = once(before, 'close', { signal: AbortSignal.timeout(EVENT_TIMEOUT_MS) });

    await dovecot.restart();
    await closed;

    const afterRestart = await connectTo(dovecot, user);
    const mailbox = await afterRestart.mailboxOpen('INBOX');
    assert.equal(mailbox.uidValidity, uidValidity);
    const message = await afterRestart.fetchOne(String(uid), { envelope: true }, { uid: true });
    assert.ok(message);
    assert.equal(message.envelope?.subject, 'Before restart');
  });

  test('stop() frees the port', async () => {
    const dovecot = await startDovecot();
    await dovecot.stop();
    const client = clientFor(dovecot, dovecot.userFor('gone'), dovecot.password);
    await assert.rejects(client.connect());
    client.close();
    await dovecot.stop(); // a second stop is harmless
  });
});
