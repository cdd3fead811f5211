import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createKeyedLock } from '../../../src/store/repositories/keyed-lock.ts';

describe('keyed lock', () => {
  test('tasks of one key run one at a time, in order; other keys run alongside', async () => {
    const withLock = createKeyedLock();
    const events: string[] = [];
    const task = (name: string, ms: number) => async () => {
      events.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      events.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([
      withLock('a', task('a1', 20)),
      withLock('a', task('a2', 1)),
      withLock('b', task('b1', 1)),
    ]);
    assert.deepEqual(results, ['a1', 'a2', 'b1']);
    assert.ok(events.indexOf('end a1') < events.indexOf('start a2'));
    assert.ok(events.indexOf('start b1') < events.indexOf('end a1'));
  });

  test('a failing task rejects its caller only; the next one still runs', async () => {
    const withLock = createKeyedLock();
    const failed = withLock('a', async () => {
      throw new Error('boom');
    });
    const next = withLock('a', async () => 'ok');
    await assert.rejects(failed, /boom/);
    assert.equal(await next, 'ok');
  });
});
