// How long the watcher waits before reconnecting. Pure functions: the random
// source is a parameter so tests can pin it.
//
// Numbers and why:
// - Exponential with FULL jitter: delay = random(0, min(maxMs, baseMs * 2^attempt)).
//   Many mailboxes usually sit on one provider; when it restarts, full jitter
//   spreads the reconnects over the whole window instead of a synchronised wave.
// - baseMs 1 s: a server restart or a dropped NAT mapping is usually over in
//   seconds, and a support inbox should notice new mail quickly.
// - maxMs 5 min: an outage of hours costs at most ~12 attempts an hour per mailbox,
//   and new mail is picked up at most ~5 min after the server is back. The cap is
//   reached after 9 doublings (1 s · 2^9 = 512 s > 300 s).
// - Reset to baseMs after a healthy connection (the first pass completed), so a
//   flapping link does not ratchet the delay up forever.
// - authFailureMs 5 min (+ up to 10 % jitter): a rejected password does not fix
//   itself in seconds, and hammering LOGIN gets accounts locked by providers
//   (Gmail, Microsoft 365 both throttle or block repeated failed logins).
// - The login circuit breaker: each further refusal in a row doubles that wait
//   (5, 10, 20, 40 min) up to authFailureMaxMs 1 h, so a mailbox whose password
//   or refresh token is gone costs a handful of attempts an hour, not hundreds a
//   day; new credentials (PATCH or SIGHUP) reconnect at once instead.

export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
  authFailureMs: number;
  authFailureMaxMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffSettings> = Object.freeze({
  baseMs: 1_000,
  maxMs: 5 * 60_000,
  authFailureMs: 5 * 60_000,
  authFailureMaxMs: 60 * 60_000,
});

const AUTH_JITTER = 0.1;
// 2^30 · any sane base is far above any cap; stops the exponent overflowing.
const MAX_EXPONENT = 30;

/** Delay before reconnect attempt number `attempt` (0 = the first retry after a failure). */
export function reconnectDelay(
  attempt: number,
  settings: Pick<BackoffSettings, 'baseMs' | 'maxMs'>,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), MAX_EXPONENT);
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/** Delay before logging in again after the server refused the credentials. */
export function authRetryDelay(authFailureMs: number, random: () => number = Math.random): number {
  return Math.floor(authFailureMs * (1 + AUTH_JITTER * random()));
}

/** The breaker's wait after `failures` refused logins in a row (1 = the first). */
export function authBreakerDelay(
  failures: number,
  settings: Pick<BackoffSettings, 'authFailureMs' | 'authFailureMaxMs'>,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, Math.floor(failures) - 1), MAX_EXPONENT);
  const base = Math.min(settings.authFailureMaxMs, settings.authFailureMs * 2 ** exponent);
  return authRetryDelay(base, random);
}

export function resolveBackoff(partial: Partial<BackoffSettings> | undefined): BackoffSettings {
  const settings = { ...DEFAULT_BACKOFF, ...partial };
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`backoff.${name} must be a positive number of milliseconds`);
    }
  }
  if (settings.maxMs < settings.baseMs) {
    throw new RangeError('backoff.maxMs must not be below backoff.baseMs');
  }
  if (settings.authFailureMaxMs < settings.authFailureMs) {
    // Only a longer first wait than the default cap was asked for: no doubling then.
    if (partial?.authFailureMaxMs !== undefined) {
      throw new RangeError('backoff.authFailureMaxMs must not be below backoff.authFailureMs');
    }
    settings.authFailureMaxMs = settings.authFailureMs;
  }
  return settings;
}
