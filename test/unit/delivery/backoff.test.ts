import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { retryDelay, type BackoffPolicy } from '../../../src/delivery/backoff.ts';

const DEFAULTS: BackoffPolicy = { baseMs: 30_000, maxMs: 3_600_000, jitter: 0.2 };
const middle = (): number => 0.5;
const top = (): number => 0.999_999_9;
const bottom = (): number => 0;

describe('delivery retry delay', () => {
  test('doubles from the base per attempt and stops at the cap (no jitter at the middle)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => retryDelay(n, DEFAULTS, middle));
    assert.deepEqual(
      delays,
      [30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000],
    );
  });

  test('jitter spreads ±20 % around the exponential value', () => {
    assert.equal(retryDelay(1, DEFAULTS, bottom), 24_000);
    assert.equal(retryDelay(1, DEFAULTS, top), 36_000);
    for (let i = 0; i < 1_000; i += 1) {
      const delay = retryDelay(3, DEFAULTS);
      assert.ok(delay >= 96_000 && delay <= 144_000, String(delay));
    }
  });

  test('never above the cap, even with jitter', () => {
    for (const random of [bottom, middle, top]) {
      assert.ok(retryDelay(20, DEFAULTS, random) <= DEFAULTS.maxMs);
    }
    assert.equal(retryDelay(20, DEFAULTS, bottom), 2_880_000);
  });

  test('with jitter below 1/3 each gap is longer than the one before, whatever the draws', () => {
    const policy: BackoffPolicy = { baseMs: 100, maxMs: 1_000_000, jitter: 0.3 };
    for (let n = 1; n < 10; n += 1) {
      assert.ok(retryDelay(n, policy, top) < retryDelay(n + 1, policy, bottom), `attempt ${n}`);
    }
  });

  test('odd inputs: attempt 0 or fractional, huge attempts, jitter out of range', () => {
    assert.equal(retryDelay(0, DEFAULTS, middle), 30_000);
    assert.equal(retryDelay(2.7, DEFAULTS, middle), 60_000);
    assert.equal(retryDelay(10_000, DEFAULTS, middle), 3_600_000);
    assert.equal(retryDelay(1, { ...DEFAULTS, jitter: 5 }, bottom), 1);
    assert.equal(retryDelay(1, { ...DEFAULTS, jitter: -1 }, bottom), 30_000);
    assert.equal(retryDelay(1, { baseMs: 0, maxMs: 10, jitter: 0 }), 1);
  });
});
