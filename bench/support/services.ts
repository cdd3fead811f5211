// What a benchmark needs before it can start Postroom in-process: Redis (the
// REDIS_URL server, default 127.0.0.1:6379) and MongoDB (MONGODB_URI, else the
// embedded store started here). The runtime helpers of the test suite read
// these from POSTROOM_TEST_* variables, so they are set for them; each run
// gets its own database and queue prefix, both removed by stop().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../src/embedded-mongo/index.ts';
import {
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../test/support/runtime.ts';
import { uniqueName } from '../../test/support/env.ts';

export interface BenchServices {
  redisUrl: string;
  /** "embedded" or the MONGODB_URI host (credentials left out). */
  mongoLabel: string;
  /** A scratch folder (drop and outbox folders), removed by stop(). */
  scratch: string;
  startRuntime(config: unknown, roles: string, env?: Record<string, string>): Promise<TestRuntime>;
  /** Stop the runtime, drop its database and Redis keys, stop the embedded store, remove scratch. */
  stop(): Promise<void>;
}

export async function startBenchServices(): Promise<BenchServices> {
  const redisUrl = process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
  const scratch = mkdtempSync(join(tmpdir(), 'postroom-bench-'));
  let embedded: EmbeddedMongo | undefined;
  let mongoUri = process.env.MONGODB_URI?.trim();
  if (!mongoUri) {
    embedded = await startEmbeddedMongo({ dataDir: join(scratch, 'store') });
    mongoUri = embedded.uri;
  }
  process.env.POSTROOM_TEST_REDIS_URL = redisUrl;
  process.env.POSTROOM_TEST_MONGODB_URI = mongoUri;
  const mongoLabel = embedded
    ? 'embedded store (in this process, durable on disk)'
    : new URL(mongoUri).host;

  let runtime: TestRuntime | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      process.off('SIGINT', interrupted);
      try {
        if (runtime) {
          await runtime.stop();
          await dropRedisPrefix(runtime.prefix);
          await dropDatabase(runtime.mongoUri);
        }
      } finally {
        await embedded?.stop();
        rmSync(scratch, { recursive: true, force: true });
      }
    })());
  // Ctrl-C mid-run still removes the run's Redis keys and database.
  function interrupted(): void {
    console.error('\ninterrupted: cleaning up');
    void stop().finally(() => process.exit(130));
  }
  process.once('SIGINT', interrupted);

  return {
    redisUrl,
    mongoLabel,
    scratch,
    async startRuntime(config, roles, env) {
      runtime = await startTestRuntime(config, {
        roles,
        prefix: uniqueName('bench'),
        ...(env ? { env } : {}),
      });
      return runtime;
    },
    stop,
  };
}
