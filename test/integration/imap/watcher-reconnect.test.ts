// The watcher when the server goes away or refuses it: a Dovecot restart,
// refused credentials (slow retries, no hot loop) and a temporary auth outage.
// This file restarts its own Dovecot, so no other test file is disturbed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { appendMessage } from '../../support/imap.ts';
import { startDovecot, type DovecotServer } from '../../support/services/dovecot.ts';
import { UNAVAILABLE_USER_PREFIX } from '../../support/services/dovecot-config.ts';
import { waitUntil } from '../../support/wait.ts';
import { MemorySink, capturedLogger, rawMessage, watch } from './helpers.ts';

let dovecot: DovecotServer;

before(async () => {
  dovecot = await startDovecot();
});

after(async () => {
  await dovecot?.stop();
});

describe('IMAP watcher reconnects', () => {
  test('after a server restart it reconnects; nothing missed, nothing duplicated', async (t) => {
    const user = dovecot.userFor('restart');
    const sink = new MemorySink();
    const captured = capturedLogger();
    const watcher = watch(dovecot, user, sink, captured.logger, { reconcileIntervalMs: 600_000 });
    t.after(() => watcher.stop());
    const one = await appendMessage(dovecot, user, rawMessage('Before restart'));
    await waitUntil(() => sink.delivered.length === 1, { what: 'the first delivery' });

    await dovecot.restart();
    // Arrives while the watcher is (probably) still reconnecting: the first pass after it finds it.
    const two = await appendMessage(dovecot, user, rawMessage('Right after restart'));
    await waitUntil(() => sink.delivered.length === 2, {
      what: 'the message sent during the outage',
    });
    await waitUntil(() => watcher.state === 'idle', { what: 'the watcher to idle again' });
    assert.ok(sink.count('connecting') >= 2, 'a second connection was made');

    // And IDLE works on the new connection.
    const three = await appendMessage(dovecot, user, rawMessage('After reconnect'));
    await waitUntil(() => sink.delivered.length === 3, {
      what: 'the delivery through the new IDLE',
    });
    assert.deepEqual(sink.uids(), [one.uid, two.uid, three.uid]);
    assert.deepEqual(sink.attempts, sink.uids(), 'nothing handed over twice');
    assert.equal(sink.state.last_uid, three.uid);
    assert.equal(sink.statuses.at(-1)?.status, 'ok');

    const connections = new Set(captured.lines.map((line) => line.connection_id));
    assert.ok(connections.size >= 2, 'each connection logs under its own id');
  });

  test('refused credentials: status auth_failed, retried only after authFailureMs', async (t) => {
    const authFailureMs = 300;
    const sink = new MemorySink();
    const started = Date.now();
    const watcher = watch(dovecot, dovecot.deniedUserFor('denied'), sink, capturedLogger().logger, {
      backoff: { baseMs: 10, maxMs: 20, authFailureMs },
    });
    t.after(() => watcher.stop());

    await waitUntil(() => sink.count('auth_failed') >= 3, { what: 'three refused logins' });
    const elapsed = Date.now() - started;
    // Three refusals take at least two waits of authFailureMs: no hot loop through the short backoff.
    assert.ok(elapsed >= 2 * authFailureMs, `three attempts took only ${elapsed} ms`);
    const attempts = sink.count('connecting');
    assert.ok(
      attempts <= Math.floor(elapsed / authFailureMs) + 2,
      `${attempts} attempts in ${elapsed} ms`,
    );
    const refused = sink.statuses.find((entry) => entry.status === 'auth_failed');
    assert.match(refused?.error ?? '', /AUTHENTICATIONFAILED|Authentication failed/i);
    assert.equal(sink.attempts.length, 0);
    assert.notEqual(watcher.state, 'idle');
  });

  test('a temporary auth outage ([UNAVAILABLE]) backs off like any outage, not like a bad password', async (t) => {
    const sink = new MemorySink();
    const user = `${UNAVAILABLE_USER_PREFIX}${dovecot.userFor('unavailable')}`;
    const watcher = watch(dovecot, user, sink, capturedLogger().logger, {
      backoff: { baseMs: 10, maxMs: 50, authFailureMs: 600_000 },
    });
    t.after(() => watcher.stop());

    // With authFailureMs at 10 min, a third attempt within the wait proves the short backoff applies.
    await waitUntil(() => sink.count('connecting') >= 3, { what: 'three connection attempts' });
    assert.equal(sink.count('auth_failed'), 0);
    assert.ok(sink.count('error') >= 2);
  });

  test('a server that is not there yet: backoff, then the mail once it is up', async (t) => {
    const first = await startDovecot();
    const { port, password } = first;
    const user = first.userFor('late');
    await first.stop();

    const sink = new MemorySink();
    const watcher = watch(
      { host: '127.0.0.1', port, password },
      user,
      sink,
      capturedLogger().logger,
      {
        backoff: { baseMs: 20, maxMs: 200, authFailureMs: 60_000 },
      },
    );
    t.after(() => watcher.stop());
    await waitUntil(() => sink.count('error') >= 3, { what: 'three refused connections' });
    assert.match(
      sink.statuses.find((entry) => entry.status === 'error')?.error ?? '',
      /ECONNREFUSED/,
    );

    const late = await startDovecot({ port });
    t.after(() => late.stop());
    const message = await appendMessage(late, user, rawMessage('Once the server is up'));
    await waitUntil(() => sink.delivered.length === 1, {
      what: 'the delivery after the server came up',
    });
    assert.equal(sink.delivered[0]?.uid, message.uid);
    assert.equal(sink.statuses.at(-1)?.status, 'ok');
  });
});
