// At most one agent run streams per conversation at a time, whatever the
// number of agents and workers: a Redis key with a token and a TTL, renewed
// while the run streams, released by compare-and-delete.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// Long enough to ride out a GC pause or a slow save; short enough that a
// crashed worker blocks the conversation's next draft for at most this long.
const SLOT_TTL_MS = 30_000;
const RENEW_EVERY_MS = 10_000;

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface StreamSlot {
  release(): Promise<void>;
}

export async function takeStreamSlot(
  redis: Redis,
  prefix: string,
  conversationId: string,
): Promise<StreamSlot | null> {
  const key = `${prefix}:agent-stream:${conversationId}`;
  const token = randomUUID();
  const taken = await redis.set(key, token, 'PX', SLOT_TTL_MS, 'NX');
  if (taken !== 'OK') return null;
  const timer = setInterval(() => {
    redis.eval(RENEW, 1, key, token, String(SLOT_TTL_MS)).catch(() => undefined);
  }, RENEW_EVERY_MS);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    },
  };
}
