// At most one reconciler pass at a time across processes: a Redis key set
// with NX and a TTL, renewed while the pass runs, released by
// compare-and-delete so a pass never frees a lock another process took after
// its own expired. Every fix is safe without it; the lock saves the work of
// several processes checking the same documents at once.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface PassLock {
  release(): Promise<void>;
}

/** Null when another process holds the lock. */
export async function takePassLock(
  redis: Redis,
  key: string,
  ttlMs: number,
): Promise<PassLock | null> {
  const token = randomUUID();
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return null;
  // Renewed at a third of the TTL: a pass that outlives one renewal still holds it,
  // and a crashed process frees it within the TTL.
  const timer = setInterval(
    () => void redis.eval(RENEW, 1, key, token, String(ttlMs)).catch(() => undefined),
    Math.max(Math.floor(ttlMs / 3), 1),
  );
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    },
  };
}
