// The IMAP watcher against a real Dovecot of this file's own: initial sync,
// IDLE, resuming from stored state, UIDVALIDITY changes, a failing sink,
// \Seen handling, batching and the size limit.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { MailboxWatcher } from '../../../src/mail/imap/mailbox-watcher.ts';
import { appendMessage } from '../../support/imap.ts';
import { startDovecot, type DovecotServer } from '../../support/services/dovecot.ts';
import { waitUntil } from '../../support/wait.ts';
import {
  MemorySink,
  capturedLogger,
  flagsOf,
  openClient,
  rawMessage,
  watch,
  type CapturedLogger,
} from './helpers.ts';

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

function assertEveryLineIdentified(captured: CapturedLogger, mailboxId: string): void {
  assert.ok(captured.lines.length > 0, 'the watcher logged something');
  for (const line of captured.lines) {
    assert.equal(line.mailbox_id, mailboxId, `mailbox_id on: ${JSON.stringify(line)}`);
    assert.equal(typeof line.connection_id, 'string', `connection_id on: ${JSON.stringify(line)}`);
  }
}

describe('IMAP mailbox watcher', () => {
  test('messages already in the folder are handed over once, in UID order, state advanced', async (t) => {
    const user = dovecot.userFor('initial');
    const raws = ['First', 'Second', 'Third'].map((subject) => rawMessage(subject));
    const appended = [];
    for (const raw of raws) appended.push(await appendMessage(dovecot, user, raw));
    const uidvalidity = String(appended[0]?.uidValidity);

    const sink = new MemorySink();
    const captured = capturedLogger('trace');
    const watcher = stopAfter(t, watch(dovecot, user, sink, captured.logger));
    await waitUntil(() => sink.delivered.length === 3, { what: 'three deliveries' });
    // Another full pass finds nothing new.
    await watcher.syncNow();

    assert.deepEqual(
      sink.uids(),
      appended.map((message) => message.uid),
    );
    assert.deepEqual(sink.attempts, sink.uids(), 'each message handed over exactly once');
    sink.delivered.forEach((message, index) => {
      assert.equal(message.uidvalidity, uidvalidity);
      assert.equal(message.source.toString('utf8'), raws[index]);
      assert.equal(message.size, Buffer.byteLength(raws[index] ?? ''));
      assert.ok(message.internal_date instanceof Date);
    });
    assert.deepEqual(sink.state, { uidvalidity, last_uid: appended[2]?.uid });
    // The new UIDVALIDITY first, then one save after each hand-over, in order.
    assert.deepEqual(
      sink.saves.map((save) => save.last_uid),
      [0, ...appended.map((message) => message.uid)],
    );
    assert.equal(sink.statuses[0]?.status, 'connecting');
    assert.equal(sink.statuses.at(-1)?.status, 'ok');
    await waitUntil(() => watcher.state === 'idle', { what: 'the watcher to idle' });
    assertEveryLineIdentified(captured, `mbx-${user}`);
  });

  test('a message appended while idling is handed over through IDLE', async (t) => {
    const user = dovecot.userFor('idle');
    const sink = new MemorySink();
    // The reconcile timer is far beyond the wait below: only IDLE can bring the mail in.
    const watcher = stopAfter(
      t,
      watch(dovecot, user, sink, capturedLogger().logger, { reconcileIntervalMs: 600_000 }),
    );
    await waitUntil(() => watcher.state === 'idle', { what: 'the watcher to idle' });

    const first = await appendMessage(dovecot, user, rawMessage('During IDLE'));
    await waitUntil(() => sink.delivered.length === 1, {
      what: 'the IDLE delivery',
      timeoutMs: 10_000,
    });
    assert.equal(sink.delivered[0]?.uid, first.uid);

    const second = await appendMessage(dovecot, user, rawMessage('Second during IDLE'));
    const third = await appendMessage(dovecot, user, rawMessage('Third during IDLE'));
    await waitUntil(() => sink.delivered.length === 3, {
      what: 'two more deliveries',
      timeoutMs: 10_000,
    });
    assert.deepEqual(sink.uids(), [first.uid, second.uid, third.uid]);
    assert.deepEqual(sink.attempts, sink.uids());
  });

  test('a watcher restarted with the stored state hands nothing over again', async (t) => {
    const user = dovecot.userFor('resume');
    const one = await appendMessage(dovecot, user, rawMessage('One'));
    const two = await appendMessage(dovecot, user, rawMessage('Two'));
    const sink = new MemorySink();
    const firstWatcher = watch(dovecot, user, sink, capturedLogger().logger);
    await waitUntil(() => sink.delivered.length === 2, { what: 'two deliveries' });
    await firstWatcher.stop();
    assert.equal(firstWatcher.state, 'stopped');

    const second = stopAfter(t, watch(dovecot, user, sink, capturedLogger().logger));
    await second.syncNow();
    assert.deepEqual(sink.attempts, [one.uid, two.uid], 'nothing handed over twice');

    const three = await appendMessage(dovecot, user, rawMessage('Three'));
    await waitUntil(() => sink.delivered.length === 3, { what: 'the new message' });
    assert.deepEqual(sink.attempts, [one.uid, two.uid, three.uid]);
  });

  test('a stored state of another UIDVALIDITY resyncs the folder from UID 1', async (t) => {
    const user = dovecot.userFor('uidvalidity');
    const one = await appendMessage(dovecot, user, rawMessage('Old one'));
    const two = await appendMessage(dovecot, user, rawMessage('Old two'));
    const current = String(one.uidValidity);
    const sink = new MemorySink();
    sink.state = { uidvalidity: `${current}1`, last_uid: two.uid + 10 };
    const captured = capturedLogger();

    const watcher = stopAfter(t, watch(dovecot, user, sink, captured.logger));
    await watcher.syncNow();
    assert.deepEqual(sink.uids(), [one.uid, two.uid]);
    assert.ok(sink.delivered.every((message) => message.uidvalidity === current));
    assert.deepEqual(sink.state, { uidvalidity: current, last_uid: two.uid });
    assert.ok(captured.lines.some((line) => String(line.msg).includes('UIDVALIDITY changed')));
  });

  test('a folder deleted and created again is resynced under its new UIDVALIDITY', async (t) => {
    const user = dovecot.userFor('recreated');
    const folder = 'Support';
    const before = await appendMessage(dovecot, user, rawMessage('Before'), folder);
    const sink = new MemorySink();
    const first = watch(dovecot, user, sink, capturedLogger().logger, { imap: { folder } });
    await waitUntil(() => sink.delivered.length === 1, { what: 'the first delivery' });
    await first.stop();

    const admin = await openClient(dovecot, user);
    try {
      await admin.mailboxDelete(folder);
      await admin.mailboxCreate(folder);
    } finally {
      await admin.logout();
    }
    const after = await appendMessage(dovecot, user, rawMessage('After'), folder);
    assert.notEqual(
      after.uidValidity,
      before.uidValidity,
      'Dovecot gave the new folder a new UIDVALIDITY',
    );

    const second = stopAfter(
      t,
      watch(dovecot, user, sink, capturedLogger().logger, { imap: { folder } }),
    );
    await second.syncNow();
    assert.equal(sink.delivered.length, 2);
    assert.deepEqual(
      { uid: sink.delivered[1]?.uid, uidvalidity: sink.delivered[1]?.uidvalidity },
      { uid: after.uid, uidvalidity: String(after.uidValidity) },
    );
  });

  test('a deliver that throws keeps the state before it and is retried', async (t) => {
    const user = dovecot.userFor('retry');
    const appended = [];
    for (const subject of ['R1', 'R2', 'R3']) {
      appended.push(await appendMessage(dovecot, user, rawMessage(subject)));
    }
    const uids = appended.map((message) => message.uid);
    const sink = new MemorySink();
    sink.failDeliver = (uid, attempt) => uid === uids[1] && attempt === 1;
    stopAfter(t, watch(dovecot, user, sink, capturedLogger().logger));

    await waitUntil(() => sink.delivered.length === 3, { what: 'all three after the retry' });
    assert.deepEqual(sink.uids(), uids, 'handed over in UID order, none skipped');
    assert.deepEqual(sink.attempts, [uids[0], uids[1], uids[1], uids[2]]);
    // No save moved past the failed message before it was handed over.
    assert.deepEqual(
      sink.saves.map((save) => save.last_uid),
      [0, ...uids],
    );
    const errorAt = sink.statuses.findIndex((entry) => entry.status === 'error');
    assert.ok(errorAt > 0, 'the failure is reported as a status');
    assert.match(sink.statuses[errorAt]?.error ?? '', /deliver failed/);
    assert.equal(sink.statuses.at(-1)?.status, 'ok');
  });

  test('mark_seen true sets \\Seen after the hand-over', async (t) => {
    const user = dovecot.userFor('seen');
    const message = await appendMessage(dovecot, user, rawMessage('Mark me'));
    assert.equal((await flagsOf(dovecot, user, message.uid)).has('\\Seen'), false);
    const sink = new MemorySink();
    stopAfter(
      t,
      watch(dovecot, user, sink, capturedLogger().logger, { imap: { mark_seen: true } }),
    );
    // The state is saved after \Seen is set.
    await waitUntil(() => sink.state.last_uid === message.uid, { what: 'the saved state' });
    assert.equal(sink.delivered.length, 1);
    assert.equal((await flagsOf(dovecot, user, message.uid)).has('\\Seen'), true);
  });

  test('mark_seen false leaves the flags untouched', async (t) => {
    const user = dovecot.userFor('unseen');
    const message = await appendMessage(dovecot, user, rawMessage('Leave me'), 'INBOX', [
      '\\Flagged',
    ]);
    const sink = new MemorySink();
    const watcher = stopAfter(t, watch(dovecot, user, sink, capturedLogger().logger));
    await watcher.syncNow();
    assert.equal(sink.delivered.length, 1);
    // \Recent is a session flag the server manages: a read-only EXAMINE leaves it for the next session.
    const flags = [...(await flagsOf(dovecot, user, message.uid))].filter(
      (flag) => flag !== '\\Recent',
    );
    assert.deepEqual(flags, ['\\Flagged']);
  });

  test('small fetch batches still hand everything over in order', async (t) => {
    const user = dovecot.userFor('batches');
    const uids = [];
    for (let i = 1; i <= 7; i += 1) {
      uids.push(
        (await appendMessage(dovecot, user, rawMessage(`Batch ${i}`, 'x'.repeat(i * 100)))).uid,
      );
    }
    const sink = new MemorySink();
    const watcher = stopAfter(
      t,
      watch(dovecot, user, sink, capturedLogger().logger, {
        fetchBatchSize: 3,
        fetchBatchBytes: 600,
      }),
    );
    await watcher.syncNow();
    assert.deepEqual(sink.uids(), uids);
    assert.deepEqual(sink.attempts, uids);
  });

  test('a message over maxMessageBytes is reported as skipped, the ones around it delivered', async (t) => {
    const user = dovecot.userFor('toolarge');
    const small = await appendMessage(dovecot, user, rawMessage('Small'));
    const large = await appendMessage(dovecot, user, rawMessage('Large', 'y'.repeat(20_000)));
    const next = await appendMessage(dovecot, user, rawMessage('Next'));
    const sink = new MemorySink();
    const watcher = stopAfter(
      t,
      watch(dovecot, user, sink, capturedLogger().logger, { maxMessageBytes: 10_000 }),
    );
    await watcher.syncNow();
    assert.deepEqual(sink.uids(), [small.uid, next.uid]);
    assert.equal(sink.skippedMessages.length, 1);
    assert.equal(sink.skippedMessages[0]?.uid, large.uid);
    assert.equal(sink.skippedMessages[0]?.reason, 'too_large');
    assert.ok((sink.skippedMessages[0]?.size ?? 0) > 20_000);
    assert.equal(sink.state.last_uid, next.uid);
  });

  test('stop() waits for the message in hand only up to stopTimeoutMs, then makes no sink call', async () => {
    const user = dovecot.userFor('hung');
    const message = await appendMessage(dovecot, user, rawMessage('Hangs'));
    let release: (() => void) | undefined;
    const sink = new MemorySink();
    const deliver = sink.deliver.bind(sink);
    sink.deliver = async (inbound) => {
      await new Promise<void>((resolve) => (release = resolve));
      await deliver(inbound);
    };
    const watcher = watch(dovecot, user, sink, capturedLogger().logger, { stopTimeoutMs: 200 });
    await waitUntil(() => release !== undefined, { what: 'the deliver in hand' });
    const stopping = Date.now();
    await watcher.stop();
    assert.ok(Date.now() - stopping < 200 + 3_000, 'stop is bounded');
    assert.equal(watcher.state, 'stopped');
    const saves = sink.saves.length;
    release?.();
    // The hand-over in hand finishes; the watcher records nothing after its stop.
    await waitUntil(() => sink.delivered.length === 1, { what: 'the late deliver to return' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sink.delivered[0]?.uid, message.uid);
    assert.equal(sink.saves.length, saves, 'no state saved after stop() returned');
  });

  test('stop() ends in the stopped state and syncNow() is refused afterwards', async () => {
    const user = dovecot.userFor('stop');
    const sink = new MemorySink();
    const watcher = watch(dovecot, user, sink, capturedLogger().logger);
    await watcher.syncNow();
    await watcher.stop();
    await watcher.stop(); // a second stop is harmless
    assert.equal(watcher.state, 'stopped');
    await assert.rejects(watcher.syncNow(), /stopped/);
    const calls = sink.statuses.length + sink.saves.length + sink.attempts.length;
    // Mail arriving after stop is not the stopped watcher's business: the next watcher's.
    await appendMessage(dovecot, user, rawMessage('After stop'));
    const next = watch(dovecot, user, new MemorySink(), capturedLogger().logger);
    await next.syncNow();
    await next.stop();
    assert.equal(sink.statuses.length + sink.saves.length + sink.attempts.length, calls);
  });
});
