// Run Postroom's real runtime in the test process: the same startPostroom()
// the binary uses, on the test services, with a database, queue prefix and
// config of the test's own. stop() shuts it down and removes what it left.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { parseEnv } from '../../src/config/env.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startPostroom, type Running } from '../../src/runtime/start.ts';
import { testMongoUri, testRedisUrl, uniqueName } from './env.ts';

export interface TestRuntime extends Running {
  api: string;
  prefix: string;
  mongoUri: string;
  /** GET/POST the API with the test key. */
  request(path: string, init?: RequestInit): Promise<Response>;
  json<T = Record<string, unknown>>(path: string): Promise<T>;
  stop(): Promise<void>;
}

export const TEST_API_KEY = 'pk_test_runtime_key_0001';

export async function startTestRuntime(
  config: unknown,
  options: {
    roles?: string;
    env?: Record<string, string>;
    mongoUri?: string;
    prefix?: string;
  } = {},
): Promise<TestRuntime> {
  const dir = mkdtempSync(join(tmpdir(), 'postroom-runtime-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config));
  const prefix = options.prefix ?? uniqueName('pr');
  const mongoUri = options.mongoUri ?? testMongoUri();
  const env = parseEnv({
    MONGODB_URI: mongoUri,
    REDIS_URL: testRedisUrl(),
    POSTROOM_CONFIG: configPath,
    POSTROOM_QUEUE_PREFIX: prefix,
    PORT: '0',
    // Worker-only runtimes serve /metrics too: on any free port, as tests run side by side.
    POSTROOM_METRICS_PORT: '0',
    POSTROOM_ROLES: options.roles ?? 'all',
    LOG_LEVEL: process.env.POSTROOM_TEST_LOG_LEVEL ?? 'silent',
    POSTROOM_SHUTDOWN_GRACE_MS: '3000',
    ...options.env,
  });
  const running = await startPostroom(env, createLogger(env.LOG_LEVEL));
  const api = running.context.endpoints.api ?? '';
  const request = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${api}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${TEST_API_KEY}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });
  return {
    ...running,
    api,
    prefix,
    mongoUri,
    request,
    async json<T>(path: string): Promise<T> {
      const response = await request(path);
      if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    async stop() {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Remove every Redis key under a prefix (the queues of a test). */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(testRedisUrl());
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Drop a test database. */
export async function dropDatabase(uri: string): Promise<void> {
  const connection = await mongoose.createConnection(uri).asPromise();
  try {
    await connection.dropDatabase();
  } finally {
    await connection.close();
  }
}

export function accountConfig(mailboxes: unknown[], extra: Record<string, unknown> = {}): unknown {
  return {
    accounts: [
      {
        id: 'acme',
        name: 'Acme',
        api_keys: [
          {
            name: 'test',
            key: TEST_API_KEY,
            permissions: [
              'messaging:read',
              'messaging:write',
              'messaging:approve',
              'messaging:delete',
              'admin',
            ],
          },
        ],
        agents: [
          {
            id: 'drafter',
            name: 'Drafter',
            handle: 'drafter',
            provider: { type: 'template', template: 'Hello {{customer.name}}' },
          },
        ],
        mailboxes,
        ...extra,
      },
    ],
  };
}
