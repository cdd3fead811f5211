// The real process, as a user starts it: embedded store, health endpoints,
// SIGTERM within 10 s, and refusal of bad configuration naming the setting.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { testRedisUrl, uniqueName } from '../../support/env.ts';
import { startPostroomProcess, type PostroomProcess } from '../../support/process.ts';
import { freePort } from '../../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'postroom-process-'));
const prefix = uniqueName('proc');
const started: PostroomProcess[] = [];

function writeConfig(json: unknown): string {
  const path = join(dir, `${uniqueName('config')}.json`);
  writeFileSync(path, JSON.stringify(json));
  return path;
}

const quickstartLike = {
  accounts: [
    {
      id: 'acme',
      name: 'Acme',
      api_keys: [{ name: 'ops', key: 'pk_process_test_key', permissions: ['messaging:read'] }],
      agents: [
        {
          id: 'drafter',
          name: 'Drafter',
          handle: 'drafter',
          provider: { type: 'template', template: 'Hi' },
        },
      ],
      mailboxes: [
        {
          id: 'support',
          address: 'support@acme.test',
          drop_folder: 'drop',
          outbox_folder: 'outbox',
          agents: ['drafter'],
        },
      ],
    },
  ],
};

after(async () => {
  for (const p of started) await p.stop();
  const redis = new Redis(testRedisUrl());
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('the postroom process', () => {
  test('starts on the embedded store, answers health checks, and exits 0 on SIGTERM within 10 s', async () => {
    const port = await freePort();
    const proc = startPostroomProcess({
      POSTROOM_CONFIG: writeConfig(quickstartLike),
      PORT: String(port),
      REDIS_URL: testRedisUrl(),
      POSTROOM_QUEUE_PREFIX: prefix,
    });
    started.push(proc);
    await proc.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.includes('embedded store kept on disk'),
      'the embedded-store line naming its data directory',
    );
    await proc.waitForLog((l) => l.msg === 'postroom started', 'startup');

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    const authed = await fetch(`http://127.0.0.1:${port}/v1/nothing-here`, {
      headers: { authorization: 'Bearer pk_process_test_key' },
    });
    assert.equal(
      authed.status,
      404,
      'the bootstrap key authenticates (404: no such route, not 401)',
    );

    const t0 = Date.now();
    proc.child.kill('SIGTERM');
    const { code } = await proc.exited;
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 10_000, `exited after ${Date.now() - t0} ms`);
    assert.ok(
      !JSON.stringify(proc.lines).includes('pk_process_test_key'),
      'the API key never reaches the logs',
    );
  });

  test('/readyz answers 503 while Redis is unreachable', async () => {
    const port = await freePort();
    const deadRedis = await freePort();
    const proc = startPostroomProcess({
      POSTROOM_CONFIG: writeConfig(quickstartLike),
      PORT: String(port),
      POSTROOM_ROLES: 'api',
      REDIS_URL: `redis://127.0.0.1:${deadRedis}`,
      POSTROOM_QUEUE_PREFIX: prefix,
    });
    started.push(proc);
    await proc.waitForLog((l) => l.msg === 'postroom started', 'startup');
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, {
      mongodb: 'ok',
      redis: 'unavailable',
    });
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    proc.child.kill('SIGTERM');
    assert.equal((await proc.exited).code, 0);
  });

  const badSettings: Array<[string, Record<string, string>, RegExp]> = [
    ['PORT=abc', { PORT: 'abc' }, /PORT: must be a number/],
    ['REDIS_URL=foo', { REDIS_URL: 'foo' }, /REDIS_URL: must be a URL/],
    [
      'an agent without a provider',
      {
        POSTROOM_CONFIG: writeConfig({
          accounts: [{ id: 'a', name: 'A', agents: [{ id: 'x', name: 'X', handle: 'x' }] }],
        }),
      },
      /POSTROOM_CONFIG \(.*\) accounts\[0\]\.agents\[0\]\.provider/,
    ],
    [
      'a missing bootstrap file',
      { POSTROOM_CONFIG: join(dir, 'missing.json') },
      /POSTROOM_CONFIG: cannot read/,
    ],
  ];
  for (const [label, env, message] of badSettings) {
    test(`refuses to start with ${label}, naming the setting`, async () => {
      const proc = startPostroomProcess({
        REDIS_URL: testRedisUrl(),
        POSTROOM_QUEUE_PREFIX: prefix,
        ...env,
      });
      started.push(proc);
      const { code } = await proc.exited;
      assert.notEqual(code, 0);
      assert.match(proc.stderr.join(''), message);
    });
  }
});
