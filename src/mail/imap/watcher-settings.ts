// The watcher's options with their defaults filled in and checked once, at start.
import { resolveBackoff, type BackoffSettings } from './backoff.ts';
import type { MailboxWatcherOptions } from './types.ts';

const DEFAULT_RECONCILE_INTERVAL_MS = 60_000;
// 50 UIDs per FETCH: few round trips, and a failed batch costs little to redo.
const DEFAULT_FETCH_BATCH_SIZE = 50;
// 32 MiB of sources at once: a few large attachments' worth, far from a worker's heap limit.
const DEFAULT_FETCH_BATCH_BYTES = 32 * 1024 * 1024;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export interface WatcherSettings {
  backoff: BackoffSettings;
  reconcileIntervalMs: number;
  fetchBatchSize: number;
  fetchBatchBytes: number;
  maxMessageBytes: number | undefined;
  stopTimeoutMs: number;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number`);
  }
  return value;
}

function wholeNumber(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a whole number >= 1`);
  return value;
}

export function resolveWatcherSettings(options: MailboxWatcherOptions): WatcherSettings {
  return {
    backoff: resolveBackoff(options.backoff),
    reconcileIntervalMs: positive(
      'reconcileIntervalMs',
      options.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS,
    ),
    fetchBatchSize: wholeNumber(
      'fetchBatchSize',
      options.fetchBatchSize ?? DEFAULT_FETCH_BATCH_SIZE,
    ),
    fetchBatchBytes: positive(
      'fetchBatchBytes',
      options.fetchBatchBytes ?? DEFAULT_FETCH_BATCH_BYTES,
    ),
    maxMessageBytes:
      options.maxMessageBytes === undefined
        ? undefined
        : positive('maxMessageBytes', options.maxMessageBytes),
    stopTimeoutMs: positive('stopTimeoutMs', options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS),
  };
}
