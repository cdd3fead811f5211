import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Wakeup } from '../../../src/mail/imap/wakeup.ts';

describe('Wakeup', () => {
  test('a ring before the wait is kept, many rings collapse into one', async () => {
    const wakeup = new Wakeup();
    wakeup.ring();
    wakeup.ring();
    await wakeup.wait();
    let woke = false;
    const waiting = wakeup.wait().then(() => (woke = true));
    await Promise.resolve();
    assert.equal(woke, false, 'the second wait needs a new ring');
    wakeup.ring();
    await waiting;
    assert.equal(woke, true);
  });

  test('clear forgets a pending ring', async () => {
    const wakeup = new Wakeup();
    wakeup.ring();
    wakeup.clear();
    let woke = false;
    const waiting = wakeup.wait().then(() => (woke = true));
    await Promise.resolve();
    assert.equal(woke, false);
    wakeup.ring();
    await waiting;
  });
});
