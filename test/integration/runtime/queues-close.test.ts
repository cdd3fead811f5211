// Connections closed at any moment of their start-up (a process stopped right
// after it started, or whose start failed) leave no unhandled rejection behind:
// the queues' shared connection and BullMQ's own version check used to reject
// with nobody listening once the connection closed under them; and a connection
// closed while its socket was still being set up could connect afterwards.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createLogger } from '../../../src/platform/logger.ts';
import { createQueues } from '../../../src/queues/queues.ts';
import { closeRedis, createRedis } from '../../../src/queues/redis.ts';
import { testRedisUrl, uniqueName } from '../../support/env.ts';
import { dropRedisPrefix } from '../../support/runtime.ts';

const prefixes: string[] = [];
after(async () => {
  for (const prefix of prefixes) await dropRedisPrefix(prefix);
});

test('closing producers at every stage of their start-up rejects nothing unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    const logger = createLogger('silent');
    // Closing after 0..4 ms lands before the connection, between 'connect'
    // and 'ready', during BullMQ's INFO version check, and after it.
    for (let round = 0; round < 60; round++) {
      const prefix = uniqueName('qc');
      prefixes.push(prefix);
      const queues = createQueues(testRedisUrl(), prefix, logger);
      const producer = createRedis(testRedisUrl(), 'producer', logger);
      await new Promise((resolve) => setTimeout(resolve, round % 5));
      await closeRedis(producer);
      await queues.close();
      assert.equal(producer.status, 'end', 'the connection is closed for good');
    }
    // Unhandled rejections are reported once the microtasks of a turn drain:
    // two more turns of the event loop let any pending one surface.
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      unhandled.map((reason) => String(reason)),
      [],
      'no unhandled rejection after closing',
    );
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
