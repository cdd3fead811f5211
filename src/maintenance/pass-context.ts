// What one reconciler pass hands its checks: the services, the pass's clock,
// the options, and a guard that keeps one bad document from ending the pass.
import type { Logger } from '../platform/logger.ts';
import type { Queues } from '../queues/queues.ts';
import type { Publisher } from '../realtime/events.ts';
import type { Store } from '../store/index.ts';

export interface ReconcileOptions {
  /**
   * Documents changed more recently than this are left alone: the request or
   * worker that changed them is still enqueueing. Default 15 s.
   */
  settleMs: number;
  /** A send begun longer ago than this with no outcome was interrupted. Default 2 min. */
  interruptedAfterMs: number;
  /** A running agent run without progress for this long is stuck. Default 10 min. */
  stuckRunAfterMs: number;
  /** Documents read and checked at a time. Default 50. */
  batchSize: number;
}

export const DEFAULT_RECONCILE_OPTIONS: ReconcileOptions = {
  settleMs: 15_000,
  interruptedAfterMs: 120_000,
  stuckRunAfterMs: 600_000,
  batchSize: 50,
};

export interface PassContext {
  store: Store;
  queues: Queues;
  publisher: Publisher;
  log: Logger;
  /** The pass's start: every age is measured from it. */
  now: Date;
  options: ReconcileOptions;
  /** Run one document's check; an error is logged and counted, and the pass goes on. */
  guard<T>(id: string, check: () => Promise<T>): Promise<T | 'error'>;
}
