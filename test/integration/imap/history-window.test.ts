// Connecting an inbox that holds years of mail: the first sync takes the last
// history_days only, leaves older mail on the server untouched, and moves the
// state past it; everything that arrives afterwards is taken, whatever its date.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { MailboxWatcher } from '../../../src/mail/imap/mailbox-watcher.ts';
import { startDovecot, type DovecotServer } from '../../support/services/dovecot.ts';
import { waitUntil } from '../../support/wait.ts';
import { MemorySink, capturedLogger, openClient, rawMessage, watch } from './helpers.ts';

const DAY = 24 * 60 * 60 * 1000;
let dovecot: DovecotServer;

before(async () => {
  dovecot = await startDovecot();
});
after(async () => {
  await dovecot?.stop();
});

function stopAfter(t: TestContext, watcher: MailboxWatcher): MailboxWatcher {
  t.after(() => watcher.stop());
  return watcher;
}

/** Appends messages with the given arrival times (IMAP INTERNALDATE); returns their UIDs. */
async function appendDated(
  user: string,
  messages: Array<{ subject: string; arrived: Date }>,
): Promise<number[]> {
  const client = await openClient(dovecot, user);
  try {
    const uids: number[] = [];
    for (const { subject, arrived } of messages) {
      const result = await client.append('INBOX', rawMessage(subject), [], arrived);
      assert.ok(result && result.uid !== undefined, 'APPEND returned a UID');
      uids.push(result.uid);
    }
    return uids;
  } finally {
    await client.logout().catch(() => undefined);
  }
}

describe('IMAP history window (history_days)', () => {
  test('the first sync takes recent mail only; older mail stays, and the state moves past it', async (t) => {
    const user = dovecot.userFor('history');
    const now = Date.now();
    const uids = await appendDated(user, [
      { subject: 'Two years old', arrived: new Date(now - 730 * DAY) },
      { subject: 'Last month', arrived: new Date(now - 30 * DAY) },
      { subject: 'Yesterday', arrived: new Date(now - 1 * DAY) },
      { subject: 'Moved in from an archive, old', arrived: new Date(now - 400 * DAY) },
    ]);
    const sink = new MemorySink();
    const captured = capturedLogger('debug');
    const watcher = stopAfter(
      t,
      watch(dovecot, user, sink, captured.logger, { imap: { history_days: 7 } }),
    );
    await waitUntil(() => sink.state.last_uid === uids[3], {
      what: 'the state past the old mail at the end',
    });
    assert.deepEqual(sink.uids(), [uids[2]], 'only yesterday’s mail');
    assert.ok(
      captured.lines.some(
        (line) => line.skipped_history === 3 || String(line.msg).includes('history_days'),
      ),
      'the skipped history is logged',
    );

    // Later arrivals are all taken, even one carrying an old date (a message moved into INBOX).
    const later = await appendDated(user, [
      { subject: 'New today', arrived: new Date() },
      { subject: 'Restored from backup', arrived: new Date(now - 100 * DAY) },
    ]);
    await watcher.syncNow();
    await waitUntil(() => sink.delivered.length === 3, { what: 'both later messages' });
    assert.deepEqual(sink.uids(), [uids[2], ...later]);

    // Nothing was changed on the server: every message is still there, unseen.
    const client = await openClient(dovecot, user);
    try {
      const status = await client.status('INBOX', { messages: true, unseen: true });
      assert.ok(status, 'STATUS answered');
      assert.equal(status.messages, 6);
      assert.equal(status.unseen, 6);
    } finally {
      await client.logout().catch(() => undefined);
    }
  });

  test('a folder of old mail only: nothing taken, and later passes do not look at it again', async (t) => {
    const user = dovecot.userFor('history-old-only');
    const old = await appendDated(user, [
      { subject: 'Old one', arrived: new Date(Date.now() - 90 * DAY) },
      { subject: 'Old two', arrived: new Date(Date.now() - 60 * DAY) },
    ]);
    const sink = new MemorySink();
    const watcher = stopAfter(
      t,
      watch(dovecot, user, sink, capturedLogger().logger, { imap: { history_days: 7 } }),
    );
    await waitUntil(() => sink.state.last_uid === old[1], { what: 'the state past the old mail' });
    await watcher.syncNow();
    assert.equal(sink.delivered.length, 0);
  });

  test('a folder empty at the first sync: old-dated mail moved in later is taken', async (t) => {
    const user = dovecot.userFor('history-empty-first');
    const sink = new MemorySink();
    const watcher = stopAfter(
      t,
      watch(dovecot, user, sink, capturedLogger().logger, { imap: { history_days: 7 } }),
    );
    // Dovecot creates INBOX on login: the first pass sees it empty and records its UIDVALIDITY.
    await waitUntil(() => sink.state.uidvalidity !== null, { what: 'the first sync' });
    const [moved] = await appendDated(user, [
      { subject: 'Moved in from the archive', arrived: new Date(Date.now() - 300 * DAY) },
    ]);
    await watcher.syncNow();
    await waitUntil(() => sink.delivered.length === 1, { what: 'the moved message' });
    assert.deepEqual(sink.uids(), [moved]);
  });

  test('history_days null takes everything, as before', async (t) => {
    const user = dovecot.userFor('history-all');
    const uids = await appendDated(user, [
      { subject: 'Ancient', arrived: new Date(Date.now() - 3000 * DAY) },
      { subject: 'Recent', arrived: new Date() },
    ]);
    const sink = new MemorySink();
    stopAfter(
      t,
      watch(dovecot, user, sink, capturedLogger().logger, { imap: { history_days: null } }),
    );
    await waitUntil(() => sink.delivered.length === 2, { what: 'both messages' });
    assert.deepEqual(sink.uids(), uids);
  });
});
