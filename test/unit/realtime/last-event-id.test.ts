// Which Last-Event-ID values a reconnecting client may send, and what each means.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_EVENT_ID_AHEAD_MS,
  nextEventId,
  parseLastEventId,
} from '../../../src/realtime/events.ts';

const NOW = Date.UTC(2026, 10, 23, 9, 0, 0);

describe('Last-Event-ID', () => {
  test('absent or empty: no catch-up', () => {
    assert.deepEqual(parseLastEventId(undefined, NOW), { kind: 'none' });
    assert.deepEqual(parseLastEventId('  ', NOW), { kind: 'none' });
  });

  test('an id we issued catches up from its time', () => {
    assert.deepEqual(parseLastEventId(nextEventId(NOW - 5_000), NOW), {
      kind: 'since',
      ms: NOW - 5_000,
    });
    assert.deepEqual(parseLastEventId('0-0', NOW), { kind: 'since', ms: 0 });
  });

  test('a little ahead (clock skew) is read as now; further ahead is refused', () => {
    assert.deepEqual(parseLastEventId(`${NOW + MAX_EVENT_ID_AHEAD_MS}-1`, NOW), {
      kind: 'since',
      ms: NOW,
    });
    assert.equal(parseLastEventId(`${NOW + MAX_EVENT_ID_AHEAD_MS + 1}-1`, NOW).kind, 'invalid');
    assert.equal(parseLastEventId('9999999999999999-0', NOW).kind, 'invalid');
  });

  test('anything else is refused, not read as something else', () => {
    for (const id of [
      'abc',
      `${NOW}`,
      `${NOW}-`,
      `-${NOW}`,
      `${NOW}-1-2`,
      `1${'0'.repeat(16)}-0`,
      `${NOW}-12345678`,
      `${NOW}.5-1`,
    ]) {
      assert.equal(parseLastEventId(id, NOW).kind, 'invalid', id);
    }
  });
});
