// An ingest job whose worker died on it too often (a message that crashes the
// process, an OOM) is failed by BullMQ as "stalled more than allowable limit"
// with attempts left. It must still be recorded as an inbound failure and its
// drop-folder file moved to failed/, not vanish without a trace.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { DROP_SUBFOLDERS } from '../../../src/inbound/drop-folder.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import { createQueues } from '../../../src/queues/queues.ts';
import { testMongoUri, testRedisUrl, uniqueName } from '../../support/env.ts';
import {
  accountConfig,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';

const prefix = uniqueName('stall');
const mongoUri = testMongoUri();
const drop = mkdtempSync(join(tmpdir(), 'postroom-stall-drop-'));
let runtime: TestRuntime | undefined;

after(async () => {
  await runtime?.stop();
  await dropRedisPrefix(prefix);
  await dropDatabase(mongoUri);
  rmSync(drop, { recursive: true, force: true });
});

describe('an ingest job that stalled too often', () => {
  test(
    'is recorded as an inbound failure and its file moves to failed/',
    { timeout: 60_000 },
    async () => {
      for (const sub of Object.values(DROP_SUBFOLDERS))
        mkdirSync(join(drop, sub), { recursive: true });
      const name = 'claimed-1.eml';
      writeFileSync(
        join(drop, DROP_SUBFOLDERS.processing, name),
        'From: a@example.com\r\nMessage-ID: <stalled@example.com>\r\nSubject: Hi\r\n\r\nHello\r\n',
      );
      const queues = createQueues(testRedisUrl(), prefix, createLogger('silent'));
      const jobId = await queues.enqueue('mail.ingest', {
        account_id: 'acme',
        mailbox_id: 'support',
        source: { kind: 'file', name, sha256: '0'.repeat(64) },
        raw: { kind: 'file' },
      });

      // A worker takes the job and dies on it: its lock lapses and the stalled check, allowing
      // no stall at all here, marks the job to fail when it is next taken.
      const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
      const dying = new Worker('mail.ingest', null, {
        connection,
        prefix,
        autorun: false,
        lockDuration: 300,
        stalledInterval: 200,
        maxStalledCount: 0,
      });
      const taken = await dying.getNextJob('dying-worker-token');
      assert.equal(taken?.id, jobId);
      void dying.startStalledCheckTimer();
      await waitUntil(
        async () => (await queues.queue('mail.ingest').getJobState(jobId)) === 'waiting',
        {
          what: 'the stalled job to go back to the queue',
        },
      );
      await dying.close();
      connection.disconnect();
      await queues.close();

      runtime = await startTestRuntime(
        accountConfig([
          {
            id: 'support',
            address: 'support@acme.test',
            drop_folder: drop,
            outbox_folder: drop,
            agents: [],
          },
        ]),
        { roles: 'ingest', mongoUri, prefix },
      );
      const store = runtime.context.store;
      const failure = await waitUntil(
        async () => (await store.inbound.listFailures('acme')).find((f) => f.job_id === jobId),
        { what: 'the inbound failure record' },
      );
      assert.match(failure.reason, /stalled/);
      assert.equal(failure.source.name, name);
      const failed = join(drop, DROP_SUBFOLDERS.failed, name);
      await waitUntil(() => existsSync(failed), { what: 'the file to move to failed/' });
      assert.match(readFileSync(`${failed}.error.txt`, 'utf8'), /stalled/);
      assert.equal(
        await store.messages.findByEmailMessageId('acme', 'support', 'stalled@example.com'),
        null,
      );
    },
  );
});
