// The supervisor runs a mailbox's watcher only while its process holds the
// mailbox lease: one watcher per mailbox across processes, and a takeover
// within TTL + one acquire interval when the holder dies.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { mailboxLeaseKey } from '../../../src/inbound/mailbox-lease.ts';
import {
  WatcherSupervisor,
  type SupervisedWatcher,
} from '../../../src/inbound/watcher-supervisor.ts';
import { startMailboxWatcher } from '../../../src/mail/imap/mailbox-watcher.ts';
import { testRedisUrl } from '../../support/env.ts';
import { appendMessage } from '../../support/imap.ts';
import { startDovecot, type DovecotServer } from '../../support/services/dovecot.ts';
import { waitUntil } from '../../support/wait.ts';
import {
  MemorySink,
  capturedLogger,
  prefixFor,
  processRedis,
  rawMessage,
  readyRedis,
} from './helpers.ts';

const TTL_MS = 2_000;
const ACQUIRE_INTERVAL_MS = Math.floor(TTL_MS / 3);
// Timers, the event loop and Redis round trips on a busy test machine.
const SLACK_MS = 1_500;

const logger = capturedLogger('info').logger;
let redis: Redis;
let dovecot: DovecotServer;

before(async () => {
  redis = await readyRedis(testRedisUrl());
  dovecot = await startDovecot();
});

after(async () => {
  redis?.disconnect();
  await dovecot?.stop();
});

/** Watchers that record who runs which mailbox, and the most that ever ran one at once. */
class WatcherLog {
  readonly running = new Map<string, Set<string>>();
  readonly events: Array<{ at: number; mailbox: string; process: string; kind: 'start' | 'stop' }> =
    [];
  maxConcurrent = 0;

  factory(process: string): (mailbox: { id: string }) => SupervisedWatcher & { kill(): void } {
    return (mailbox) => {
      const set = this.running.get(mailbox.id) ?? new Set<string>();
      this.running.set(mailbox.id, set);
      set.add(process);
      this.maxConcurrent = Math.max(this.maxConcurrent, set.size);
      this.events.push({ at: Date.now(), mailbox: mailbox.id, process, kind: 'start' });
      const end = (): void => {
        if (set.delete(process)) {
          this.events.push({ at: Date.now(), mailbox: mailbox.id, process, kind: 'stop' });
        }
      };
      return { stop: async () => end(), kill: end };
    };
  }

  holders(mailbox: string): string[] {
    return [...(this.running.get(mailbox) ?? [])];
  }
}

describe('watcher supervisor', () => {
  test('two supervisors on the same mailboxes: one watcher per mailbox', async (t) => {
    const prefix = prefixFor(t, redis);
    const log = new WatcherLog();
    const mailboxes = [{ id: 'support' }, { id: 'sales' }, { id: 'billing' }];
    const supervisors = ['a', 'b'].map((name) =>
      new WatcherSupervisor({
        redis,
        prefix,
        mailboxes,
        createWatcher: log.factory(name),
        logger,
        ttlMs: TTL_MS,
      }).start(),
    );
    t.after(() => Promise.all(supervisors.map((supervisor) => supervisor.stop())));

    await waitUntil(() => mailboxes.every((mailbox) => log.holders(mailbox.id).length === 1), {
      what: 'every mailbox watched',
    });
    // Several acquire rounds later nothing changed hands and nothing ran twice.
    const settled = Date.now();
    await waitUntil(() => Date.now() - settled > 3 * ACQUIRE_INTERVAL_MS, { what: 'three rounds' });
    assert.equal(log.maxConcurrent, 1);
    assert.equal(log.events.length, mailboxes.length, 'no watcher was started twice');
    const watching = supervisors.flatMap((supervisor) => supervisor.watching).sort();
    assert.deepEqual(watching, mailboxes.map((mailbox) => mailbox.id).sort());

    await Promise.all(supervisors.map((supervisor) => supervisor.stop()));
    for (const mailbox of mailboxes) {
      assert.equal(await redis.exists(mailboxLeaseKey(prefix, mailbox.id)), 0, 'released on stop');
      assert.deepEqual(log.holders(mailbox.id), []);
    }
  });

  test('a holder killed without releasing is replaced within TTL + one acquire interval', async (t) => {
    const prefix = prefixFor(t, redis);
    const log = new WatcherLog();
    const mailboxes = [{ id: 'support' }];
    const redisA = await processRedis(t, testRedisUrl());
    const watchersA: Array<{ kill(): void }> = [];
    const factoryA = log.factory('a');
    const a = new WatcherSupervisor({
      redis: redisA,
      prefix,
      mailboxes,
      createWatcher: (mailbox) => {
        const watcher = factoryA(mailbox);
        watchersA.push(watcher);
        return watcher;
      },
      logger,
      ttlMs: TTL_MS,
    }).start();
    t.after(() => a.stop());
    await waitUntil(() => log.holders('support').length === 1, { what: 'a to watch' });

    const b = new WatcherSupervisor({
      redis,
      prefix,
      mailboxes,
      createWatcher: log.factory('b'),
      logger,
      ttlMs: TTL_MS,
    }).start();
    t.after(() => b.stop());
    assert.deepEqual(log.holders('support'), ['a']);

    // SIGKILL: the process, its watcher and its Redis connection vanish; nothing is released.
    const killedAt = Date.now();
    redisA.disconnect();
    for (const watcher of watchersA) watcher.kill();

    await waitUntil(() => log.holders('support').includes('b'), {
      what: 'b to take over',
      timeoutMs: TTL_MS + ACQUIRE_INTERVAL_MS + SLACK_MS + 5_000,
    });
    const takeover = Date.now() - killedAt;
    assert.ok(
      takeover <= TTL_MS + ACQUIRE_INTERVAL_MS + SLACK_MS,
      `took over after ${takeover} ms (bound ${TTL_MS + ACQUIRE_INTERVAL_MS} ms)`,
    );
    assert.equal(log.maxConcurrent, 1);
  });

  test('a holder that loses Redis stops its watcher before another process starts one', async (t) => {
    const prefix = prefixFor(t, redis);
    const log = new WatcherLog();
    const mailboxes = [{ id: 'support' }];
    const redisA = await processRedis(t, testRedisUrl());
    const a = new WatcherSupervisor({
      redis: redisA,
      prefix,
      mailboxes,
      createWatcher: log.factory('a'),
      logger,
      ttlMs: TTL_MS,
    }).start();
    t.after(() => a.stop());
    await waitUntil(() => log.holders('support').length === 1, { what: 'a to watch' });
    const b = new WatcherSupervisor({
      redis,
      prefix,
      mailboxes,
      createWatcher: log.factory('b'),
      logger,
      ttlMs: TTL_MS,
    }).start();
    t.after(() => b.stop());

    // The process lives on, but its Redis is gone: it must step down on its own.
    redisA.disconnect();
    await waitUntil(() => log.holders('support').includes('b'), {
      what: 'b to take over',
      timeoutMs: 10_000,
    });
    const stopA = log.events.find((event) => event.process === 'a' && event.kind === 'stop');
    const startB = log.events.find((event) => event.process === 'b' && event.kind === 'start');
    assert.ok(stopA && startB && stopA.at <= startB.at, 'a stopped before b started');
    assert.equal(log.maxConcurrent, 1);
  });

  test('a lease taken by another process stops the watcher at the next renewal', async (t) => {
    const prefix = prefixFor(t, redis);
    const log = new WatcherLog();
    const supervisor = new WatcherSupervisor({
      redis,
      prefix,
      mailboxes: [{ id: 'support' }],
      createWatcher: log.factory('a'),
      logger,
      ttlMs: TTL_MS,
      // No second try within the test: what is checked is the stop, not a retake.
      acquireIntervalMs: 60_000,
    }).start();
    t.after(() => supervisor.stop());
    await waitUntil(() => log.holders('support').length === 1, { what: 'the watcher' });
    assert.deepEqual(supervisor.watching, ['support']);

    // The key is not ours any more (an operator, a split brain): found out on renewal.
    const key = mailboxLeaseKey(prefix, 'support');
    const stolenAt = Date.now();
    await redis.set(key, 'someone-else', 'PX', 60_000);
    await waitUntil(() => log.holders('support').length === 0, { what: 'the watcher to stop' });
    assert.ok(Date.now() - stolenAt <= TTL_MS / 3 + SLACK_MS, 'stopped at the next renewal');
    assert.deepEqual(supervisor.watching, []);
    await supervisor.stop();
    assert.equal(await redis.get(key), 'someone-else', 'stop leaves a lease of another alone');
  });

  test('with real IMAP watchers: one delivers, the other takes over after a kill', async (t) => {
    const prefix = prefixFor(t, redis);
    const user = dovecot.userFor('leased');
    const sink = new MemorySink();
    const mailbox = {
      id: 'support',
      imap: {
        host: dovecot.host,
        port: dovecot.port,
        secure: false,
        auth: { user, pass: dovecot.password },
        folder: 'INBOX',
        mark_seen: false,
        history_days: null,
      },
    };
    const running = new Set<string>();
    let maxRunning = 0;
    const factory =
      (name: string, started: Array<{ stop(): Promise<void> }>) =>
      (m: typeof mailbox): SupervisedWatcher => {
        const watcher = startMailboxWatcher({
          mailboxId: m.id,
          imap: m.imap,
          sink,
          logger,
          backoff: { baseMs: 50, maxMs: 500, authFailureMs: 60_000 },
        });
        running.add(name);
        maxRunning = Math.max(maxRunning, running.size);
        started.push(watcher);
        return {
          stop: async () => {
            await watcher.stop();
            running.delete(name);
          },
        };
      };
    const redisA = await processRedis(t, testRedisUrl());
    const watchersA: Array<{ stop(): Promise<void> }> = [];
    const a = new WatcherSupervisor({
      redis: redisA,
      prefix,
      mailboxes: [mailbox],
      createWatcher: factory('a', watchersA),
      logger,
      ttlMs: TTL_MS,
    }).start();
    t.after(() => a.stop());
    await waitUntil(() => running.has('a'), { what: 'a to watch' });
    const b = new WatcherSupervisor({
      redis,
      prefix,
      mailboxes: [mailbox],
      createWatcher: factory('b', []),
      logger,
      ttlMs: TTL_MS,
    }).start();
    t.after(() => b.stop());

    const one = await appendMessage(dovecot, user, rawMessage('To the holder'));
    await waitUntil(() => sink.delivered.length === 1, { what: 'the holder to deliver' });

    // SIGKILL of a: its watcher and its Redis connection vanish, nothing is released.
    redisA.disconnect();
    await Promise.all(watchersA.map((watcher) => watcher.stop()));
    running.delete('a');
    await waitUntil(() => running.has('b'), { what: 'b to take over', timeoutMs: 10_000 });

    const two = await appendMessage(dovecot, user, rawMessage('To the new holder'));
    await waitUntil(() => sink.delivered.length === 2, { what: 'the new holder to deliver' });
    assert.deepEqual(sink.uids(), [one.uid, two.uid]);
    assert.deepEqual(sink.attempts, sink.uids(), 'each message handed over once');
    assert.equal(maxRunning, 1);
  });
});
