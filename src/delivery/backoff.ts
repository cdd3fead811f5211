// Retry delays. Pure: the random source is a parameter so tests pin it.
//
// Mail: the mailbox's policy (config `delivery`, defaults 30 s doubling to a
// 1 h cap, 8 attempts, ±20 %): about two hours of retries, the order of a
// mail server's own first retry window, so a short outage of the provider
// costs a delay, not a failed reply. Exponential so a server that is down is
// not hammered; jitter so the replies one outage failed together do not all
// come back in the same second.

export interface BackoffPolicy {
  /** Delay after the first failed attempt. */
  baseMs: number;
  /** Ceiling of the exponential part. */
  maxMs: number;
  /** Spread as a fraction: 0.2 means ±20 %. */
  jitter: number;
}

/**
 * The delay after failed attempt `attempt` (1-based): min(cap, base·2^(n-1)),
 * spread by ±jitter. With jitter below 1/3 successive uncapped delays never
 * overlap (d·(1+j) < 2d·(1-j)), so the gaps between attempts always grow.
 * Never more than maxMs: the cap is a promise to the operator.
 */
export function retryDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2^(n-1) overflows to Infinity long before n matters; min() handles it.
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** (n - 1));
  const jitter = Math.min(Math.max(policy.jitter, 0), 1);
  const spread = exponential * jitter * (2 * random() - 1);
  return Math.max(1, Math.min(policy.maxMs, Math.round(exponential + spread)));
}

// Infrastructure errors (MongoDB or Redis unreachable mid-job) are retried by
// BullMQ, not by the mailbox policy: the catalog's 10 attempts from 5 s
// doubling, capped here at 5 min, ride out about 20 minutes of outage before
// the job gives up; the message then stays `scheduled` for the reconciler.
export const INFRA_BACKOFF_CAP_MS = 300_000;
export const INFRA_BACKOFF_JITTER = 0.2;
