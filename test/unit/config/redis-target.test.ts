import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseEnv } from '../../../src/config/env.ts';
import { parseRedisTarget } from '../../../src/config/redis-target.ts';

describe('REDIS_URL: one server, a Cluster or Sentinels', () => {
  test('a redis:// URL is one server, used as given', () => {
    assert.deepEqual(parseRedisTarget('redis://:pw@redis:6379/2'), {
      kind: 'single',
      url: 'redis://:pw@redis:6379/2',
      tls: false,
    });
    assert.equal(parseRedisTarget('rediss://redis').tls, true);
  });

  test('redis+cluster:// lists the seed nodes, with credentials for every node', () => {
    assert.deepEqual(
      parseRedisTarget('redis+cluster://app:p%40ss@10.0.0.1:7000,10.0.0.2,[::1]:7002'),
      {
        kind: 'cluster',
        nodes: [
          { host: '10.0.0.1', port: 7000 },
          { host: '10.0.0.2', port: 6379 },
          { host: '::1', port: 7002 },
        ],
        username: 'app',
        password: 'p@ss',
        tls: false,
      },
    );
  });

  test('redis+sentinel:// lists the sentinels and names the primary', () => {
    assert.deepEqual(
      parseRedisTarget('rediss+sentinel://:pw@s1:26380,s2/mymaster/3?sentinel_password=sp'),
      {
        kind: 'sentinel',
        sentinels: [
          { host: 's1', port: 26380 },
          { host: 's2', port: 26379 },
        ],
        name: 'mymaster',
        db: 3,
        password: 'pw',
        sentinelPassword: 'sp',
        tls: true,
      },
    );
  });

  const bad: Array<[string, RegExp]> = [
    ['http://redis', /must be a URL of the form/],
    ['redis+cluster://', /lists its nodes wrongly/],
    ['redis+cluster://a:99999', /out of range/],
    ['redis+cluster://a:7000/0', /has no databases/],
    ['redis+sentinel://s1:26379', /must name the primary/],
    ['redis+sentinel://s1/mymaster/x', /database "x" must be a number/],
  ];
  for (const [value, message] of bad) {
    test(`${value} is refused, saying why`, () => {
      assert.throws(() => parseRedisTarget(value), message);
      assert.throws(
        () => parseEnv({ REDIS_URL: value }),
        (error: Error) => error.message.includes('REDIS_URL:') && message.test(error.message),
      );
    });
  }

  test('on a Cluster the queue prefix is a hash tag: {postroom} by default, braces required', () => {
    const url = 'redis+cluster://127.0.0.1:7000,127.0.0.1:7001';
    assert.equal(parseEnv({ REDIS_URL: url }).POSTROOM_QUEUE_PREFIX, '{postroom}');
    assert.equal(
      parseEnv({ REDIS_URL: url, POSTROOM_QUEUE_PREFIX: '{acme}' }).POSTROOM_QUEUE_PREFIX,
      '{acme}',
    );
    assert.throws(
      () => parseEnv({ REDIS_URL: url, POSTROOM_QUEUE_PREFIX: 'acme' }),
      /POSTROOM_QUEUE_PREFIX: must be a hash tag such as \{acme\}/,
    );
    // One server takes either form.
    assert.equal(parseEnv({ POSTROOM_QUEUE_PREFIX: '{acme}' }).POSTROOM_QUEUE_PREFIX, '{acme}');
    assert.equal(parseEnv({}).POSTROOM_QUEUE_PREFIX, 'postroom');
  });
});
