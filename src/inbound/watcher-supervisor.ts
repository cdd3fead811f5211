// Runs the watchers this process holds the lease for. Every acquire interval it
// tries to take the lease of each mailbox it is not watching; with a lease it
// starts the mailbox's watcher, and it stops that watcher the moment the lease
// is lost. Watchers are stopped before their lease is released, so two
// processes never watch one mailbox at once through a clean handover.
import type { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.ts';
import { DEFAULT_LEASE_TTL_MS, MailboxLease } from './mailbox-lease.ts';

/** What the supervisor needs of a watcher: it only ever stops one. */
export interface SupervisedWatcher {
  stop(): Promise<void>;
}

export interface WatcherSupervisorOptions<M extends { id: string }> {
  redis: Redis;
  prefix: string;
  mailboxes: readonly M[];
  /** Starts the watcher of a mailbox whose lease this process just took. */
  createWatcher(mailbox: M): SupervisedWatcher;
  logger: Logger;
  /** Lease TTL, default 15 s (see mailbox-lease.ts for the takeover bound). */
  ttlMs?: number;
  /** How often free mailboxes are tried, default ttl / 3. */
  acquireIntervalMs?: number;
}

interface Held {
  lease: MailboxLease;
  watcher: SupervisedWatcher;
}

export class WatcherSupervisor<M extends { id: string }> {
  private readonly ttlMs: number;
  private readonly acquireIntervalMs: number;
  private readonly log: Logger;
  private readonly held = new Map<string, Held>();
  private readonly stopping = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> = Promise.resolve();
  private ticking = false;
  private stopped = false;

  constructor(private readonly options: WatcherSupervisorOptions<M>) {
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.acquireIntervalMs = options.acquireIntervalMs ?? Math.floor(this.ttlMs / 3);
    if (!(this.acquireIntervalMs > 0)) throw new RangeError('acquireIntervalMs must be positive');
    const ids = new Set(options.mailboxes.map((mailbox) => mailbox.id));
    if (ids.size !== options.mailboxes.length) throw new Error('mailbox ids must be unique');
    this.log = options.logger.child({ component: 'watcher-supervisor' });
  }

  /** The mailboxes this process watches right now. */
  get watching(): string[] {
    return [...this.held.keys()];
  }

  /** Tries at once, then every acquire interval. */
  start(): this {
    if (this.stopped || this.timer) return this;
    this.runTick();
    this.timer = setInterval(() => this.runTick(), this.acquireIntervalMs);
    return this;
  }

  /** Stops every watcher, then releases its lease (in that order: no overlap on handover). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.tick;
    await Promise.all(
      [...this.held.entries()].map(async ([id, { lease, watcher }]) => {
        this.held.delete(id);
        await this.stopWatcher(id, watcher);
        await lease.release();
      }),
    );
    await Promise.all(this.stopping);
  }

  /**
   * Stop the mailbox's watcher and start a new one under the same lease (new
   * credentials or settings); false when this process does not watch it.
   */
  async restart(mailboxId: string, replacement?: M): Promise<boolean> {
    const entry = this.held.get(mailboxId);
    const mailbox = replacement ?? this.options.mailboxes.find((m) => m.id === mailboxId);
    if (!entry || !mailbox || this.stopped) return false;
    await this.stopWatcher(mailboxId, entry.watcher);
    // The lease may have gone while the old watcher stopped: then the new owner starts its own.
    if (this.held.get(mailboxId) !== entry || this.stopped || !entry.lease.held) return false;
    try {
      entry.watcher = this.options.createWatcher(mailbox);
    } catch (error) {
      this.log.error(
        { err: error, mailbox_id: mailboxId },
        'could not restart the mailbox watcher',
      );
      this.held.delete(mailboxId);
      await entry.lease.release();
      return false;
    }
    this.log.info({ mailbox_id: mailboxId }, 'mailbox watcher restarted');
    return true;
  }

  private runTick(): void {
    // A slow Redis must not stack ticks up.
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    this.tick = this.acquireFree().finally(() => {
      this.ticking = false;
    });
  }

  private async acquireFree(): Promise<void> {
    for (const mailbox of this.options.mailboxes) {
      if (this.stopped) return;
      if (this.held.has(mailbox.id)) continue;
      await this.tryTake(mailbox).catch((error: unknown) => {
        this.log.warn({ err: error, mailbox_id: mailbox.id }, 'could not try the mailbox lease');
      });
    }
  }

  private async tryTake(mailbox: M): Promise<void> {
    const lease: MailboxLease = new MailboxLease({
      redis: this.options.redis,
      prefix: this.options.prefix,
      mailboxId: mailbox.id,
      logger: this.options.logger,
      ttlMs: this.ttlMs,
      onLost: () => this.onLost(mailbox.id, lease),
    });
    if (!(await lease.acquire())) return;
    if (this.stopped) {
      await lease.release();
      return;
    }
    let watcher: SupervisedWatcher;
    try {
      watcher = this.options.createWatcher(mailbox);
    } catch (error) {
      this.log.error({ err: error, mailbox_id: mailbox.id }, 'could not start the mailbox watcher');
      await lease.release();
      return;
    }
    if (!lease.held) {
      // Lost between acquire and start (a very slow acquire reply): undo at once.
      this.track(this.stopWatcher(mailbox.id, watcher));
      return;
    }
    this.held.set(mailbox.id, { lease, watcher });
    this.log.info({ mailbox_id: mailbox.id }, 'watching mailbox');
  }

  private onLost(mailboxId: string, lease: MailboxLease): void {
    const entry = this.held.get(mailboxId);
    if (!entry || entry.lease !== lease) return;
    this.held.delete(mailboxId);
    // At once: another process may already hold the lease and run its own watcher.
    this.track(this.stopWatcher(mailboxId, entry.watcher));
  }

  private track(stopping: Promise<void>): void {
    this.stopping.add(stopping);
    void stopping.finally(() => this.stopping.delete(stopping));
  }

  private async stopWatcher(mailboxId: string, watcher: SupervisedWatcher): Promise<void> {
    try {
      await watcher.stop();
      this.log.info({ mailbox_id: mailboxId }, 'stopped watching mailbox');
    } catch (error) {
      this.log.error(
        { err: error, mailbox_id: mailboxId },
        'the mailbox watcher did not stop cleanly',
      );
    }
  }
}
