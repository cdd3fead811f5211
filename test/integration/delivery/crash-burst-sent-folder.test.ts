// crash-burst.test.ts's kill (a delivery process SIGKILLed while 100 replies
// go out, every DATA reply stalled after the server recorded the message),
// on a mailbox with IMAP at the suite's Dovecot, whose Sent folder settles the
// attempts the kill left without an outcome.
//
// - The server files what it accepts in Sent (Gmail, Microsoft 365): the test
//   server APPENDs each message to the user's Sent before its stalled 250, so
//   every transaction in flight at the kill left a copy, and the survivor
//   finds it instead of sending again: no duplicate at all.
// - The server files nothing, append_sent: Postroom APPENDs after the 250. A
//   transaction the server had recorded but whose 250 the killed process
//   never read left no copy, so it is sent again: the SMTP duplicates stay
//   bounded by pool_size as without IMAP (the test server makes that window
//   400 ms wide; a real server's is its time between storing and answering).
//   What append_sent guarantees is checked instead: one copy per sent reply
//   in Sent, never two, whether the kill fell before the 250, between the
//   250 and the APPEND (the receipt's run files it), or after.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  createFolder,
  folderMessageIds,
  testImapServer,
  type TestImapServer,
} from '../../support/imap.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import { killedBurst, POOL_SIZE, TOTAL, type Burst } from './burst.ts';

const servers: SmtpTestServer[] = [];
const bursts: Burst[] = [];

after(async () => {
  for (const burst of bursts) await burst.cleanup();
  for (const smtp of servers) await smtp.stop();
});

function imapOf(dovecot: TestImapServer, user: string, extra: Record<string, unknown> = {}) {
  return {
    imap: {
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      auth: { user, pass: dovecot.password },
      folder: 'INBOX',
      ...extra,
    },
  };
}

function copiesByMessageId(ids: string[]): Map<string, number> {
  const copies = new Map<string, number>();
  for (const id of ids) copies.set(id, (copies.get(id) ?? 0) + 1);
  return copies;
}

describe('delivery worker SIGKILLed during a burst, Sent folder on Dovecot', () => {
  test(
    'the server files sent mail (Gmail-like): every message at the SMTP server exactly once',
    { timeout: 180_000 },
    async () => {
      const dovecot = testImapServer();
      const user = dovecot.userFor('gmail-like');
      const smtp = await startSmtpTestServer({ saveToSent: { imap: dovecot, user } });
      servers.push(smtp);
      const burst = killedBurst('crash-sent-server', smtp, imapOf(dovecot, user));
      bursts.push(burst);

      const result = await burst.run();
      const duplicated = [...result.received.entries()].filter(([, n]) => n > 1);
      const confirmed = result.survivor.lines.filter((l) => l.confirmed_by === 'sent_folder');
      console.log(
        `crash-burst (server files Sent): ${TOTAL} messages, ${result.deliveries} SMTP deliveries, ` +
          `${duplicated.length} duplicated; ${result.receivedBeforeKill} received before the kill, ` +
          `${confirmed.length} confirmed from the Sent folder, ${result.resumed} resumed; ` +
          `all sent ${result.recoveredMs} ms after the kill`,
      );
      assert.deepEqual(duplicated, [], 'no message reached the server twice');
      assert.equal(result.deliveries, TOTAL);
      // The kill lands within 25 ms of the 30th message being filed, 400 ms before
      // its 250: at least that one was settled by the Sent folder, not by luck.
      assert.ok(confirmed.length >= 1, 'the survivor confirmed interrupted attempts in Sent');
      // Sent holds the server's copies only: Postroom filed none (append_sent off).
      const inSent = copiesByMessageId(await folderMessageIds(dovecot, user, 'Sent'));
      assert.equal(inSent.size, TOTAL);
      assert.deepEqual(
        [...inSent.values()].filter((n) => n !== 1),
        [],
        'one copy each in Sent',
      );
    },
  );

  test(
    'append_sent, the server files nothing: one copy per reply in Sent, SMTP duplicates at most pool_size',
    { timeout: 180_000 },
    async () => {
      const dovecot = testImapServer();
      const user = dovecot.userFor('append-sent');
      // Dovecot marks "Sent" \Sent but creates it on first use, as a new account's client would.
      await createFolder(dovecot, user, 'Sent');
      const smtp = await startSmtpTestServer();
      servers.push(smtp);
      const burst = killedBurst(
        'crash-sent-append',
        smtp,
        imapOf(dovecot, user, { append_sent: true }),
      );
      bursts.push(burst);

      const result = await burst.run();
      const duplicated = [...result.received.values()].filter((n) => n > 1);
      const inSent = copiesByMessageId(await folderMessageIds(dovecot, user, 'Sent'));
      const notInSent = result.survivor.lines.filter((l) => l.reason === 'not_in_sent_folder');
      console.log(
        `crash-burst (append_sent): ${TOTAL} messages, ${result.deliveries} SMTP deliveries, ` +
          `${duplicated.length} duplicated (bound ${POOL_SIZE}); ${inSent.size} in Sent; ` +
          `${notInSent.length} resent after looking in Sent; all sent ${result.recoveredMs} ms after the kill`,
      );
      assert.ok(Math.max(...result.received.values()) <= 2, 'none received more than twice');
      assert.ok(duplicated.length <= POOL_SIZE, `at most ${POOL_SIZE} duplicates`);
      // Each duplicate was looked up in Sent first, not resent blindly.
      assert.ok(notInSent.length >= duplicated.length, 'every resend looked in Sent first');
      const sentIds = result.sent.map((m) => m.email?.message_id ?? '').sort();
      assert.deepEqual([...inSent.keys()].sort(), sentIds, 'a copy of every sent reply');
      assert.deepEqual(
        [...inSent.entries()].filter(([, n]) => n !== 1),
        [],
        'never two copies',
      );
    },
  );
});
