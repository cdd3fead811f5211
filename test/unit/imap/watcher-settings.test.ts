import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveWatcherSettings } from '../../../src/mail/imap/watcher-settings.ts';
import type { MailboxWatcherOptions } from '../../../src/mail/imap/types.ts';
import { createLogger } from '../../../src/platform/logger.ts';

const base: MailboxWatcherOptions = {
  mailboxId: 'support',
  imap: {
    host: '127.0.0.1',
    port: 143,
    secure: false,
    auth: { user: 'u', pass: 'p' },
    folder: 'INBOX',
    mark_seen: false,
    history_days: null,
  },
  sink: {
    loadSyncState: async () => ({ uidvalidity: null, last_uid: 0 }),
    saveSyncState: async () => undefined,
    setStatus: async () => undefined,
    deliver: async () => undefined,
  },
  logger: createLogger('silent'),
};

describe('watcher settings', () => {
  test('defaults: reconcile every 60 s, 50 messages or 32 MiB per fetch, no size limit', () => {
    assert.deepEqual(resolveWatcherSettings(base), {
      backoff: {
        baseMs: 1_000,
        maxMs: 300_000,
        authFailureMs: 300_000,
        authFailureMaxMs: 3_600_000,
      },
      reconcileIntervalMs: 60_000,
      fetchBatchSize: 50,
      fetchBatchBytes: 32 * 1024 * 1024,
      maxMessageBytes: undefined,
      stopTimeoutMs: 10_000,
    });
  });

  test('bad numbers are refused at start, naming the option', () => {
    assert.throws(
      () => resolveWatcherSettings({ ...base, reconcileIntervalMs: 0 }),
      /reconcileIntervalMs/,
    );
    assert.throws(() => resolveWatcherSettings({ ...base, fetchBatchSize: 2.5 }), /fetchBatchSize/);
    assert.throws(
      () => resolveWatcherSettings({ ...base, maxMessageBytes: -1 }),
      /maxMessageBytes/,
    );
    assert.throws(() => resolveWatcherSettings({ ...base, backoff: { maxMs: 10 } }), /maxMs/);
  });
});
