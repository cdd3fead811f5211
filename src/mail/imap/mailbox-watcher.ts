// Watches one IMAP folder and hands every new message to the sink, in UID order,
// at least once. One loop owns the connection:
//   connect → open the folder → pass by UID → IDLE until new mail, the reconcile
//   timer or syncNow() → pass → ... ; on any failure: close, back off, reconnect.
// States and transitions: connection-state.ts. A pass: uid-sync.ts. Backoff
// numbers and their reasons: backoff.ts. Defaults: watcher-settings.ts.
import { randomBytes } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import type { Logger } from '../../platform/logger.ts';
import { authBreakerDelay, reconnectDelay } from './backoff.ts';
import { nextState, type ConnectionEvent, type ConnectionState } from './connection-state.ts';
import { closeImapClient, createImapClient, withTimeout } from './imap-connection.ts';
import { ConnectionLostError, SinkError, classifyFailure, describeError } from './imap-errors.ts';
import { PassWaiters } from './pass-waiters.ts';
import { isLoopbackHost } from '../../config/oauth2-providers.ts';
import type {
  BreakerState,
  MailboxWatcher,
  MailboxWatcherOptions,
  WatcherStatus,
} from './types.ts';
import { runSyncPass } from './uid-sync.ts';
import { Wakeup } from './wakeup.ts';
import { resolveWatcherSettings, type WatcherSettings } from './watcher-settings.ts';

// The public surface: startMailboxWatcher and these plain types (no imapflow in them).
export type * from './types.ts';
export type {} from './connection-state.ts';
export type {} from './backoff.ts';

export function startMailboxWatcher(options: MailboxWatcherOptions): MailboxWatcher {
  const watcher = new ImapMailboxWatcher(options);
  watcher.start();
  return watcher;
}

class ImapMailboxWatcher implements MailboxWatcher {
  private current: ConnectionState = 'disconnected';
  private readonly settings: WatcherSettings;
  private readonly baseLog: Logger;
  private readonly instanceId = randomBytes(3).toString('hex');
  private connectionSeq = 0;
  private log: Logger;

  private loop: Promise<void> = Promise.resolve();
  private client: ImapFlow | null = null;
  private readonly wakeup = new Wakeup();
  private readonly waiters = new PassWaiters();
  private reconcileTimer: NodeJS.Timeout | undefined;
  private retry: { timer: NodeJS.Timeout; resolve: () => void } | null = null;

  /** Failed sessions since the last healthy one, for the reconnect backoff. */
  private failures = 0;
  /** Passes in a row the sink cut short, for the in-session retry delay. */
  private sinkFailures = 0;
  private passesStarted = 0;
  /** Logins refused in a row: the breaker's count (reset by a healthy session). */
  private authFailures = 0;
  /** The server refused the last login: ask for a new access token. */
  private loginRejected = false;
  /** The breaker's state was told at least once by this watcher. */
  private breakerTold = false;
  private lastStatus: string | null = null;

  private stopRequested = false;
  /** stop() gave up waiting for the loop: no sink call may happen any more. */
  private abandoned = false;
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: MailboxWatcherOptions) {
    this.settings = resolveWatcherSettings(options);
    this.baseLog = options.logger.child({ mailbox_id: options.mailboxId });
    this.log = this.nextConnectionLog();
  }

  get state(): ConnectionState {
    return this.current;
  }

  start(): void {
    const { host, port, folder, secure, require_tls } = this.options.imap;
    this.log.info({ host, port, folder }, 'IMAP watcher starting');
    if (!secure && !require_tls && !isLoopbackHost(host)) {
      this.log.warn(
        { host, port },
        'IMAP connection without TLS ("secure": false, no "require_tls") to another machine: mail and credentials cross the network readable',
      );
    }
    this.loop = this.run().catch((error: unknown) => {
      // run() handles every failure itself; reaching this is a bug worth a loud line.
      this.log.error({ err: error }, 'IMAP watcher loop crashed');
    });
  }

  syncNow(): Promise<void> {
    if (this.stopRequested) return Promise.reject(new Error('the IMAP watcher is stopped'));
    const answered = this.waiters.add(this.passesStarted + 1);
    this.wakeup.ring();
    return answered;
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const from = this.current;
    this.transition('stop');
    this.stopRequested = true;
    this.clearReconcileTimer();
    if (this.retry) {
      clearTimeout(this.retry.timer);
      this.retry.resolve();
    }
    this.waiters.settle(new Error('the IMAP watcher was stopped'));
    // connect() can take up to its timeout; nothing is in hand yet, so cut it short.
    if (from === 'connecting') this.client?.close();
    this.wakeup.ring();
    try {
      await withTimeout(this.loop, this.settings.stopTimeoutMs, 'finishing the message in hand');
    } catch (error) {
      this.abandoned = true;
      this.log.warn({ err: error }, 'stop did not wait any longer: closing the IMAP connection');
      this.client?.close();
    }
    this.transition('closed');
    this.log.info('IMAP watcher stopped');
  }

  private nextConnectionLog(): Logger {
    this.connectionSeq += 1;
    return this.baseLog.child({ connection_id: this.connectionId() });
  }

  private connectionId(): string {
    return `${this.instanceId}-${this.connectionSeq}`;
  }

  private transition(event: ConnectionEvent): void {
    // After stop() the loop unwinds on its own; only stop's own events move the state.
    if (this.stopRequested && event !== 'closed') return;
    const next = nextState(this.current, event);
    if (next === null) {
      this.log.error({ state: this.current, event }, 'illegal connection state transition ignored');
      return;
    }
    this.log.trace({ from: this.current, to: next, event }, 'connection state');
    this.current = next;
  }

  private async run(): Promise<void> {
    for (let first = true; !this.stopRequested; first = false) {
      if (!first) this.log = this.nextConnectionLog();
      const failure = await this.session();
      if (this.stopRequested) break;
      const delay = await this.afterFailure(failure);
      if (this.stopRequested) break;
      await new Promise<void>((resolve) => {
        this.retry = { timer: setTimeout(resolve, delay), resolve };
      });
      this.retry = null;
    }
  }

  /** One connection from connect to close; returns why it ended (never throws). */
  private async session(): Promise<unknown> {
    const { imap } = this.options;
    const log = this.log;
    this.wakeup.clear();
    this.transition('connect');
    await this.status('connecting');
    let auth = imap.auth;
    if (this.options.login) {
      try {
        auth = await this.options.login(this.loginRejected);
      } catch (error) {
        this.transition('lost');
        return this.stopRequested ? null : error;
      }
    }
    const client = createImapClient({ ...imap, auth }, this.connectionId(), log);
    this.client = client;
    client.on('close', () => this.wakeup.ring());
    client.on('exists', (event) => {
      log.debug({ count: event.count, prev_count: event.prevCount }, 'server announced new mail');
      this.wakeup.ring();
    });
    try {
      await client.connect();
      if (this.stopRequested) return null;
      // Read-only (EXAMINE) unless \Seen must be set: then not even a flag can change by mistake.
      const mailbox = await client.mailboxOpen(imap.folder, { readOnly: !imap.mark_seen });
      const uidvalidity = mailbox.uidValidity.toString();
      log.info({ folder: mailbox.path, uidvalidity, exists: mailbox.exists }, 'IMAP folder open');
      this.transition('selected');
      for (let first = true; ; first = false) {
        if (this.stopRequested) return null;
        const passNumber = this.passesStarted + 1;
        const sinkFailure = await this.pass(client);
        // Healthy: logged in, folder open, a pass went through. The backoff starts over.
        if (first) {
          this.failures = 0;
          this.loginRejected = false;
          // Told once per watcher too: one started after new credentials replaces an open breaker.
          if (this.authFailures > 0 || !this.breakerTold) {
            if (this.authFailures > 0) this.log.info('IMAP login works again: breaker closed');
            this.authFailures = 0;
            this.breaker({ state: 'closed', failures: 0, retry_at: null });
          }
        }
        if (this.stopRequested) return null;
        this.transition('synced');
        this.waiters.settle(sinkFailure, passNumber);
        this.armReconcileTimer(
          sinkFailure === null
            ? this.settings.reconcileIntervalMs
            : reconnectDelay(this.sinkFailures - 1, this.settings.backoff),
        );
        this.startIdle(client);
        await this.wakeup.wait();
        this.clearReconcileTimer();
        if (this.stopRequested) return null;
        if (!client.usable) {
          const bye = client.byeReason;
          throw new ConnectionLostError(
            bye ? `the server closed the connection: ${bye}` : undefined,
          );
        }
        this.transition('wake');
      }
    } catch (error) {
      return this.stopRequested ? null : error;
    } finally {
      this.clearReconcileTimer();
      if (!this.stopRequested) this.transition('lost');
      await closeImapClient(client, log);
      if (this.client === client) this.client = null;
    }
  }

  /** One pass; returns the sink's failure when it cut the pass short (retried on this connection). */
  private async pass(client: ImapFlow): Promise<SinkError | null> {
    this.passesStarted += 1;
    try {
      const result = await runSyncPass({
        client,
        sink: this.options.sink,
        log: this.log,
        markSeen: this.options.imap.mark_seen,
        batchSize: this.settings.fetchBatchSize,
        batchBytes: this.settings.fetchBatchBytes,
        maxMessageBytes: this.settings.maxMessageBytes,
        historySince: historySince(this.options.imap.history_days, new Date()),
        stopping: () => this.stopRequested,
        abandoned: () => this.abandoned,
      });
      if (this.stopRequested) return null;
      if (result.delivered > 0 || result.skipped > 0 || result.skippedHistory > 0) {
        const { delivered, skipped, skippedHistory, lastUid } = result;
        this.log.info(
          { delivered, skipped, skipped_history: skippedHistory, last_uid: lastUid },
          'messages handed over',
        );
      }
      this.sinkFailures = 0;
      await this.status('ok');
      return null;
    } catch (error) {
      if (!(error instanceof SinkError)) throw error;
      this.sinkFailures += 1;
      this.log.warn(
        { err: error.cause, operation: error.operation, failures: this.sinkFailures },
        'handing a message over failed: will retry on this connection',
      );
      await this.status('error', error.message);
      return error;
    }
  }

  private async afterFailure(failure: unknown): Promise<number> {
    const reason = describeError(failure);
    this.waiters.settle(failure instanceof Error ? failure : new Error(reason));
    if (classifyFailure(failure) === 'auth') {
      this.authFailures += 1;
      this.loginRejected = true;
      const delay = authBreakerDelay(this.authFailures, this.settings.backoff);
      this.log.error(
        { reason, failures: this.authFailures, retry_in_ms: delay, alert: 'mailbox_auth_failed' },
        'IMAP login refused: check the credentials (breaker open)',
      );
      await this.status('auth_failed', reason);
      this.breaker({
        state: 'open',
        failures: this.authFailures,
        retry_at: new Date(Date.now() + delay),
      });
      if (this.authFailures === 1) this.hook(() => this.options.onAuthFailed?.(reason));
      return delay;
    }
    const delay = reconnectDelay(this.failures, this.settings.backoff);
    this.failures += 1;
    this.log.warn(
      { err: failure, reason, attempt: this.failures, retry_in_ms: delay },
      'IMAP session ended: reconnecting after a backoff',
    );
    await this.status('error', reason);
    return delay;
  }

  private breaker(state: BreakerState): void {
    this.breakerTold = true;
    this.hook(() => this.options.onBreaker?.(state));
  }

  /** A listener's failure is logged: it must not stop the mail. */
  private hook(call: () => void): void {
    if (this.abandoned) return;
    try {
      call();
    } catch (error) {
      this.log.warn({ err: error }, 'a watcher listener failed');
    }
  }

  private startIdle(client: ImapFlow): void {
    if (client.idling || !client.usable) return;
    client.idle().then(
      () => {
        // Our own commands end IDLE while we are syncing; an IDLE that ends while we are
        // still idle was ended by the server or imapflow's keepalive: check the folder again.
        if (this.current === 'idle' && this.client === client) this.wakeup.ring();
      },
      (error: unknown) => this.log.debug({ err: error }, 'IDLE ended with an error'),
    );
  }

  private armReconcileTimer(ms: number): void {
    this.clearReconcileTimer();
    this.reconcileTimer = setTimeout(() => this.wakeup.ring(), ms);
  }

  private clearReconcileTimer(): void {
    clearTimeout(this.reconcileTimer);
    this.reconcileTimer = undefined;
  }

  /** Tells the sink about a status change; repeats are dropped, failures only logged. */
  private async status(status: WatcherStatus, error?: string): Promise<void> {
    const key = `${status}\u0000${error ?? ''}`;
    if (key === this.lastStatus || this.abandoned) return;
    this.lastStatus = key;
    try {
      await this.options.sink.setStatus(status, error);
    } catch (failure) {
      // The status is for people looking at the mailbox; it must not stop the mail.
      this.log.warn({ err: failure, status }, 'could not record the watcher status');
    }
  }
}

/** The first day of the history window (IMAP SINCE compares dates, not times). */
function historySince(days: number | null, now: Date): Date | undefined {
  if (days === null) return undefined;
  return new Date(now.getTime() - days * 24 * 60 * 60 * 1000);
}
