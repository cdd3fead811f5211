// The per-mailbox lease in a real Redis: exclusive, renewed, released only by
// its holder, and given up when it is taken or Redis is gone for a whole TTL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import {
  MailboxLease,
  mailboxLeaseKey,
  type LeaseLossReason,
} from '../../../src/inbound/mailbox-lease.ts';
import { testRedisUrl } from '../../support/env.ts';
import { waitUntil } from '../../support/wait.ts';
import { capturedLogger, prefixFor, processRedis, readyRedis } from './helpers.ts';

const TTL_MS = 2_000;
// Timers, the event loop and Redis round trips on a busy test machine.
const SLACK_MS = 1_500;

const captured = capturedLogger('info');
const logger = captured.logger;

/** The lease's log lines about one key. */
function linesOf(key: string): Array<Record<string, unknown>> {
  return captured.lines.filter((line) => line.lease === key);
}
let redis: Redis;

before(async () => {
  redis = await readyRedis(testRedisUrl());
});

after(() => {
  redis?.disconnect();
});

describe('mailbox lease', () => {
  test('acquire is exclusive, the key carries the token and a TTL, release deletes only its own', async (t) => {
    const prefix = prefixFor(t, redis);
    const make = (onLost: (reason: LeaseLossReason) => void = () => undefined): MailboxLease =>
      new MailboxLease({ redis, prefix, mailboxId: 'support', logger, ttlMs: TTL_MS, onLost });
    const first = make();
    const second = make();
    t.after(() => Promise.all([first.release(), second.release()]));

    assert.equal(await first.acquire(), true);
    assert.equal(await first.acquire(), true, 'acquiring a held lease is a no-op');
    assert.equal(await second.acquire(), false);
    const key = mailboxLeaseKey(prefix, 'support');
    assert.equal(first.key, key);
    assert.equal(key, `${prefix}:lease:mailbox:support`);
    assert.equal(await redis.get(key), first.token);
    const ttl = await redis.pttl(key);
    assert.ok(ttl > 0 && ttl <= TTL_MS, `PTTL ${ttl}`);

    await second.release(); // not the holder: must not delete the key
    assert.equal(await redis.get(key), first.token);
    await first.release();
    assert.equal(await redis.exists(key), 0);
    assert.equal(await second.acquire(), true);
  });

  test('renewals keep the lease past its TTL', async (t) => {
    const prefix = prefixFor(t, redis);
    const losses: LeaseLossReason[] = [];
    const lease = new MailboxLease({
      redis,
      prefix,
      mailboxId: 'renewed',
      logger,
      // Renewed every 333 ms: a loaded machine's timer and Redis delays stay well inside it.
      ttlMs: 1_000,
      onLost: (reason) => losses.push(reason),
    });
    t.after(() => lease.release());
    const acquiredAt = Date.now();
    assert.equal(await lease.acquire(), true);
    // Three TTLs later the key is still there only if renewals reset it.
    await waitUntil(() => Date.now() - acquiredAt > 3_000, { what: 'three TTLs', intervalMs: 100 });
    assert.equal(await redis.get(lease.key), lease.token);
    assert.equal(lease.held, true);
    assert.deepEqual(losses, []);
  });

  test('a renewal that finds another token reports the lease taken, and never deletes it', async (t) => {
    const prefix = prefixFor(t, redis);
    const losses: LeaseLossReason[] = [];
    const lease = new MailboxLease({
      redis,
      prefix,
      mailboxId: 'stolen',
      logger,
      ttlMs: TTL_MS,
      onLost: (reason) => losses.push(reason),
    });
    assert.equal(await lease.acquire(), true);
    const stolenAt = Date.now();
    await redis.set(lease.key, 'another-process', 'PX', TTL_MS);
    await waitUntil(() => losses.length > 0, { what: 'the loss to be noticed' });
    assert.deepEqual(losses, ['taken']);
    assert.ok(Date.now() - stolenAt <= TTL_MS / 3 + SLACK_MS, 'noticed at the next renewal');
    const warned = linesOf(lease.key).find((line) => line.reason === 'taken');
    assert.equal(warned?.msg, 'mailbox lease lost: another process holds it');
    assert.equal(warned?.holder, 'another-process', 'the log names the holder');
    assert.equal(lease.held, false);
    await lease.release();
    assert.equal(await redis.get(lease.key), 'another-process');
  });

  test('a lease key that vanished (FLUSHALL, eviction) is re-taken, and the log says so', async (t) => {
    const prefix = prefixFor(t, redis);
    const losses: LeaseLossReason[] = [];
    const lease = new MailboxLease({
      redis,
      prefix,
      mailboxId: 'vanished',
      logger,
      ttlMs: TTL_MS,
      onLost: (reason) => losses.push(reason),
    });
    t.after(() => lease.release());
    assert.equal(await lease.acquire(), true);
    // Only this test's key: the shared Redis is never flushed.
    await redis.del(lease.key);
    const retaken = await waitUntil(
      () => linesOf(lease.key).find((line) => line.reason === 'vanished'),
      { what: 'the vanished key to be noticed' },
    );
    assert.equal(
      retaken.msg,
      'mailbox lease key vanished from Redis (deleted, flushed or evicted): re-taken by this process',
    );
    assert.equal(retaken.level, 'warn');
    assert.deepEqual(losses, [], 'still the holder: the watcher keeps running');
    assert.equal(lease.held, true);
    assert.equal(await redis.get(lease.key), lease.token);
    assert.ok((await redis.pttl(lease.key)) > 0, 'with its TTL again');
    assert.ok(
      !linesOf(lease.key).some((line) => String(line.msg).includes('another process')),
      'nobody else held it: the log must not say so',
    );
  });

  test('a holder cut off from Redis gives the lease up once a TTL passes without renewal', async (t) => {
    const prefix = prefixFor(t, redis);
    const own = await processRedis(t, testRedisUrl());
    const losses: Array<{ reason: LeaseLossReason; at: number }> = [];
    const lease = new MailboxLease({
      redis: own,
      prefix,
      mailboxId: 'cutoff',
      logger,
      ttlMs: TTL_MS,
      onLost: (reason) => losses.push({ reason, at: Date.now() }),
    });
    const acquiredAt = Date.now();
    assert.equal(await lease.acquire(), true);
    own.disconnect();
    await waitUntil(() => losses.length > 0, { what: 'the lease to be given up' });
    assert.equal(losses[0]?.reason, 'expired');
    const after = (losses[0]?.at ?? 0) - acquiredAt;
    assert.ok(after >= TTL_MS - 50 && after <= TTL_MS + SLACK_MS, `given up after ${after} ms`);
  });
});
