// A finished job in Redis never stands in for work MongoDB says is pending:
// enqueueing under the id of a completed or failed job replaces it, where
// BullMQ's add() alone would silently keep the finished one.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger } from '../../../src/platform/logger.ts';
import { JOBS } from '../../../src/queues/catalog.ts';
import { createQueues } from '../../../src/queues/queues.ts';
import { testRedisUrl, uniqueName } from '../../support/env.ts';
import { dropRedisPrefix } from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';

const prefix = uniqueName('fj');
const queues = createQueues(testRedisUrl(), prefix, createLogger('silent'));
after(async () => {
  await queues.close();
  await dropRedisPrefix(prefix);
});

const payload = (uid: number) => ({
  account_id: 'acme',
  mailbox_id: 'support',
  source: { kind: 'imap' as const, uidvalidity: '7', uid },
  raw: { kind: 'inline' as const, base64: Buffer.from('Subject: x\r\n\r\nx').toString('base64') },
});

async function finishOnce(id: string, outcome: 'complete' | 'fail'): Promise<void> {
  const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  const worker = new Worker(
    'mail.ingest',
    async () => {
      if (outcome === 'fail') throw new UnrecoverableError('gave up');
    },
    { connection, prefix },
  );
  try {
    await waitUntil(
      async () =>
        ['completed', 'failed'].includes(await queues.queue('mail.ingest').getJobState(id)),
      { what: 'the job to finish' },
    );
  } finally {
    await worker.close();
    connection.disconnect();
  }
}

for (const outcome of ['complete', 'fail'] as const) {
  test(`a ${outcome === 'complete' ? 'completed' : 'failed'} job is replaced by the next enqueue under its id`, async () => {
    const uid = outcome === 'complete' ? 1 : 2;
    const id = await queues.enqueue('mail.ingest', payload(uid));
    assert.equal(id, JOBS['mail.ingest'].id(payload(uid)));
    await finishOnce(id, outcome);
    assert.equal(
      await queues.queue('mail.ingest').getJobState(id),
      outcome === 'complete' ? 'completed' : 'failed',
    );
    await queues.enqueue('mail.ingest', payload(uid));
    assert.equal(await queues.queue('mail.ingest').getJobState(id), 'waiting');
    // While it waits, enqueueing again is still one job.
    await queues.enqueue('mail.ingest', payload(uid));
    const waiting = await queues.queue('mail.ingest').getJobs(['waiting']);
    assert.equal(waiting.filter((job) => job.id === id).length, 1);
    await queues.queue('mail.ingest').remove(id);
  });
}
