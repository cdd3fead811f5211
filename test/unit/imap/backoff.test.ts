import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_BACKOFF,
  authBreakerDelay,
  authRetryDelay,
  reconnectDelay,
  resolveBackoff,
} from '../../../src/mail/imap/backoff.ts';

const top = (): number => 0.999_999_9;
const bottom = (): number => 0;

describe('reconnect backoff', () => {
  test('the defaults are 1 s doubling to 5 min, and 5 min after a refused login', () => {
    assert.deepEqual(
      { ...DEFAULT_BACKOFF },
      { baseMs: 1_000, maxMs: 300_000, authFailureMs: 300_000, authFailureMaxMs: 3_600_000 },
    );
  });

  test('the ceiling doubles from baseMs per attempt and stops at maxMs', () => {
    const ceilings = [0, 1, 2, 3, 8, 9, 10, 50].map((attempt) =>
      reconnectDelay(attempt, DEFAULT_BACKOFF, top),
    );
    assert.deepEqual(ceilings, [999, 1_999, 3_999, 7_999, 255_999, 299_999, 299_999, 299_999]);
  });

  test('full jitter: anything from 0 up to the ceiling', () => {
    assert.equal(reconnectDelay(5, DEFAULT_BACKOFF, bottom), 0);
    assert.equal(
      reconnectDelay(3, DEFAULT_BACKOFF, () => 0.5),
      4_000,
    );
    for (let i = 0; i < 1_000; i += 1) {
      const delay = reconnectDelay(4, DEFAULT_BACKOFF);
      assert.ok(delay >= 0 && delay < 16_000, String(delay));
    }
  });

  test('huge or odd attempt numbers neither overflow nor go negative', () => {
    assert.equal(reconnectDelay(10_000, DEFAULT_BACKOFF, top), 299_999);
    assert.equal(reconnectDelay(-3, DEFAULT_BACKOFF, top), 999);
    assert.equal(reconnectDelay(2.7, DEFAULT_BACKOFF, top), 3_999);
  });

  test('the login breaker doubles the wait with each refusal in a row, up to its cap', () => {
    const settings = { authFailureMs: 300_000, authFailureMaxMs: 3_600_000 };
    const waits = [1, 2, 3, 4, 5, 6, 50].map((n) => authBreakerDelay(n, settings, bottom));
    assert.deepEqual(
      waits,
      [300_000, 600_000, 1_200_000, 2_400_000, 3_600_000, 3_600_000, 3_600_000],
    );
    assert.equal(authBreakerDelay(1, settings, top), 329_999);
    assert.throws(
      () => resolveBackoff({ authFailureMs: 1_000, authFailureMaxMs: 500 }),
      /authFailureMaxMs/,
    );
    // A first wait longer than the default cap, with no cap given: no doubling, no error.
    assert.equal(resolveBackoff({ authFailureMs: 7_200_000 }).authFailureMaxMs, 7_200_000);
  });

  test('a refused login waits authFailureMs plus up to 10 %', () => {
    assert.equal(authRetryDelay(300_000, bottom), 300_000);
    assert.equal(authRetryDelay(300_000, top), 329_999);
  });

  test('settings are merged over the defaults and checked', () => {
    assert.deepEqual(resolveBackoff({ baseMs: 50 }), { ...DEFAULT_BACKOFF, baseMs: 50 });
    assert.deepEqual(resolveBackoff(undefined), { ...DEFAULT_BACKOFF });
    assert.throws(() => resolveBackoff({ baseMs: 0 }), /backoff\.baseMs/);
    assert.throws(() => resolveBackoff({ authFailureMs: Number.NaN }), /backoff\.authFailureMs/);
    assert.throws(() => resolveBackoff({ baseMs: 10, maxMs: 5 }), /maxMs/);
  });
});
