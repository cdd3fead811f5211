// Failed sign-ins counted in Redis, per address and per client IP, in fixed
// windows: past the limit, sign-in answers 429 until the window ends, whether
// the password is right or not, so guessing costs the attacker the window.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

const WINDOW_MS = 15 * 60_000;
// One address behind a shared IP (an office) may fail this many times more.
const IP_FACTOR = 10;

export interface SignInLimiter {
  /** Milliseconds until sign-in is allowed again, or 0 when it is allowed now. */
  blockedFor(email: string, ip: string): Promise<number>;
  recordFailure(email: string, ip: string): Promise<void>;
  recordSuccess(email: string): Promise<void>;
}

const digest = (value: string): string => createHash('sha256').update(value).digest('hex');

export function redisSignInLimiter(
  redis: Redis,
  prefix: string,
  maxFailures: number,
): SignInLimiter {
  // Addresses are hashed: the keys name no one.
  const emailKey = (email: string) =>
    `${prefix}:sign-in-failures:email:${digest(email.toLowerCase())}`;
  const ipKey = (ip: string) => `${prefix}:sign-in-failures:ip:${digest(ip)}`;

  async function over(key: string, limit: number): Promise<number> {
    const [count, ttl] = await Promise.all([redis.get(key), redis.pttl(key)]);
    return Number(count ?? 0) >= limit ? Math.max(ttl, 1000) : 0;
  }

  async function bump(key: string): Promise<void> {
    // The window starts with the first failure and is not extended by later ones.
    await redis.multi().incr(key).pexpire(key, WINDOW_MS, 'NX').exec();
  }

  return {
    async blockedFor(email, ip) {
      const [byEmail, byIp] = await Promise.all([
        over(emailKey(email), maxFailures),
        over(ipKey(ip), maxFailures * IP_FACTOR),
      ]);
      return Math.max(byEmail, byIp);
    },
    async recordFailure(email, ip) {
      await Promise.all([bump(emailKey(email)), bump(ipKey(ip))]);
    },
    async recordSuccess(email) {
      await redis.del(emailKey(email));
    },
  };
}
