// Exactly one watcher per IMAP mailbox across all processes: a lease in Redis.
// acquire = SET key token NX PX ttl; the holder renews every ttl/3 with a
// compare-and-PEXPIRE and releases with a compare-and-DEL, so nobody can extend
// or delete a lease that is no longer theirs.
//
// Timing: with the default TTL of 15 s a holder that dies without releasing
// (SIGKILL, OOM, lost network) is replaced within TTL + one acquire interval of
// the other processes (15 s + 5 s by default): the key expires at most TTL after
// its last renewal, and the others try again every acquire interval. Renewing at
// ttl/3 leaves two more renewals' worth of slack for a slow Redis or a GC pause.
//
// The holder gives the lease up (and must stop its watcher at once) when a renewal
// finds another token, or when no renewal has been confirmed for a whole TTL
// (Redis unreachable): by then the key may have expired and another process may
// hold it, and two watchers on one mailbox is what the lease exists to prevent.
// A renewal that finds no key at all (FLUSHALL, eviction, a failover that lost
// it) takes it again in the same script: nobody holds it at that moment, so
// keeping the watcher running breaks no exclusivity, and stopping it would only
// pause the mailbox. The three cases are logged apart: vanished, taken, expired.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.ts';

export const DEFAULT_LEASE_TTL_MS = 15_000;

// KEYS[1] lease key, ARGV[1] token, ARGV[2] ttl in ms. Answers {1} renewed,
// {2} re-taken (the key was gone), or {0, holder} held by another token.
const RENEW_SCRIPT = `local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1}
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {2}
end
return {0, holder}`;

// KEYS[1] lease key, ARGV[1] token.
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export type LeaseLossReason = 'taken' | 'expired';

export interface MailboxLeaseOptions {
  redis: Redis;
  /** Key prefix (POSTROOM_QUEUE_PREFIX): the key is `<prefix>:lease:mailbox:<mailboxId>`. */
  prefix: string;
  mailboxId: string;
  logger: Logger;
  /** Default 15 s. */
  ttlMs?: number;
  /** Default ttl / 3. */
  renewIntervalMs?: number;
  /** Called once per loss, synchronously at the moment the lease is known lost. */
  onLost(reason: LeaseLossReason): void;
}

export function mailboxLeaseKey(prefix: string, mailboxId: string): string {
  return `${prefix}:lease:mailbox:${mailboxId}`;
}

export class MailboxLease {
  readonly key: string;
  /** Names the holder in Redis (GET the key to see who watches a mailbox). */
  readonly token = `${hostname()}:${process.pid}:${randomUUID()}`;
  private readonly ttlMs: number;
  private readonly renewIntervalMs: number;
  private readonly log: Logger;
  private holding = false;
  private renewTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private renewing = false;
  private lastRenewError = '';

  constructor(private readonly options: MailboxLeaseOptions) {
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.renewIntervalMs = options.renewIntervalMs ?? Math.floor(this.ttlMs / 3);
    if (!(this.ttlMs > 0) || !(this.renewIntervalMs > 0) || this.renewIntervalMs >= this.ttlMs) {
      throw new RangeError('the lease needs ttlMs > renewIntervalMs > 0');
    }
    this.key = mailboxLeaseKey(options.prefix, options.mailboxId);
    this.log = options.logger.child({ mailbox_id: options.mailboxId, lease: this.key });
  }

  get held(): boolean {
    return this.holding;
  }

  /** Takes the lease if nobody holds it; true when this process holds it now. */
  async acquire(): Promise<boolean> {
    if (this.holding) return true;
    // The lease runs from when the command was sent: Redis starts the TTL later, never earlier.
    // A monotonic clock: a wall-clock step (NTP) must not stretch or shrink the lease.
    const sentAt = performance.now();
    const reply = await this.options.redis.set(this.key, this.token, 'PX', this.ttlMs, 'NX');
    if (reply !== 'OK') return false;
    this.holding = true;
    this.confirmed(sentAt);
    this.renewTimer = setInterval(() => void this.renew(), this.renewIntervalMs);
    this.log.info({ ttl_ms: this.ttlMs }, 'mailbox lease acquired');
    return true;
  }

  /** Gives the lease up; only deletes the key while it still holds this token. */
  async release(): Promise<void> {
    const wasHolding = this.holding;
    this.stopTimers();
    this.holding = false;
    if (!wasHolding) return;
    if (await this.deleteOwnKey()) this.log.info('mailbox lease released');
  }

  /** Compare-and-DEL: true once the key no longer holds this token. */
  private async deleteOwnKey(): Promise<boolean> {
    try {
      await this.options.redis.eval(RELEASE_SCRIPT, 1, this.key, this.token);
      return true;
    } catch (error) {
      // It expires on its own within the TTL; the next holder only waits longer.
      this.log.warn({ err: error }, 'could not release the mailbox lease; it will expire');
      return false;
    }
  }

  private async renew(): Promise<void> {
    // A renewal still in flight (Redis slow) is not doubled; the expiry timer keeps watch.
    if (!this.holding || this.renewing) return;
    this.renewing = true;
    const sentAt = performance.now();
    try {
      const reply = await this.options.redis.eval(
        RENEW_SCRIPT,
        1,
        this.key,
        this.token,
        this.ttlMs,
      );
      const [outcome, holder] = Array.isArray(reply) ? (reply as [number, string?]) : [0];
      if (!this.holding) {
        // Given up while the renewal was in flight (the TTL ran out locally): a key it just
        // renewed or re-took would block the next holder for a whole TTL.
        if (outcome !== 0) await this.deleteOwnKey();
        return;
      }
      if (outcome === 0) {
        this.lost('taken', holder);
        return;
      }
      this.confirmed(sentAt);
      if (outcome === 2) {
        this.log.warn(
          { reason: 'vanished' },
          'mailbox lease key vanished from Redis (deleted, flushed or evicted): re-taken by this process',
        );
      }
      if (this.lastRenewError) this.log.info('mailbox lease renewals work again');
      this.lastRenewError = '';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.lastRenewError) {
        this.log.warn(
          { err: error },
          'mailbox lease renewal failed; retrying until the TTL runs out',
        );
      }
      this.lastRenewError = message;
    } finally {
      this.renewing = false;
    }
  }

  private confirmed(sentAt: number): void {
    clearTimeout(this.expiryTimer);
    const remaining = Math.max(0, sentAt + this.ttlMs - performance.now());
    this.expiryTimer = setTimeout(() => this.lost('expired'), remaining);
  }

  private lost(reason: LeaseLossReason, holder?: string): void {
    if (!this.holding) return;
    this.holding = false;
    this.stopTimers();
    if (reason === 'taken')
      this.log.warn({ reason, holder }, 'mailbox lease lost: another process holds it');
    else this.log.warn({ reason }, 'mailbox lease lost: no renewal confirmed within the TTL');
    try {
      this.options.onLost(reason);
    } catch (error) {
      this.log.error({ err: error }, 'the lease-lost handler threw');
    }
  }

  private stopTimers(): void {
    clearInterval(this.renewTimer);
    clearTimeout(this.expiryTimer);
    this.renewTimer = undefined;
    this.expiryTimer = undefined;
  }
}
