import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.ts';
import { parseEnv, ROLES } from '../../../src/config/env.ts';

describe('parseEnv', () => {
  test('defaults describe the embedded quick start', () => {
    const env = parseEnv({});
    assert.equal(env.MONGODB_URI, undefined);
    assert.equal(env.REDIS_URL, 'redis://127.0.0.1:6379');
    assert.equal(env.HOST, '127.0.0.1');
    assert.equal(env.PORT, 8080);
    assert.deepEqual(env.POSTROOM_ROLES, [...ROLES]);
    assert.equal(env.POSTROOM_QUEUE_PREFIX, 'postroom');
    assert.equal(env.LOG_LEVEL, 'info');
    assert.equal(env.POSTROOM_MAX_MAIL_BYTES, 50 * 1024 * 1024);
  });

  test('the result is frozen', () => {
    const env = parseEnv({ PORT: '9000' });
    assert.throws(() => {
      (env as { PORT: number }).PORT = 1;
    }, TypeError);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['PORT', 'abc', /PORT: must be a number/],
    ['PORT', '70000', /PORT: must be between 0 and 65535/],
    ['PORT', '80.5', /PORT: must be a whole number/],
    ['REDIS_URL', 'foo', /REDIS_URL: must be a URL of the form redis:\/\//],
    ['MONGODB_URI', 'http://x', /MONGODB_URI: must be a URL starting with mongodb:\/\//],
    ['POSTROOM_ROLES', 'api,mailman', /POSTROOM_ROLES: unknown role mailman/],
    ['POSTROOM_QUEUE_PREFIX', 'a:b', /POSTROOM_QUEUE_PREFIX: may hold only/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
    ['OPENAI_BASE_URL', 'not a url', /OPENAI_BASE_URL/],
    ['POSTROOM_URL_SIGNING_KEY', 'short', /POSTROOM_URL_SIGNING_KEY: must be at least 32/],
    ['POSTROOM_SECRET_KEY', 'short', /POSTROOM_SECRET_KEY: must be at least 32 characters$/],
    [
      'POSTROOM_OUTBOUND_ALLOW',
      '127.0.0.1, http://10.0.0.1',
      /POSTROOM_OUTBOUND_ALLOW: "http:\/\/10\.0\.0\.1" is not a host name, an IP address or a CIDR/,
    ],
    ['POSTROOM_OUTBOUND_ALLOW', 'models:8080', /POSTROOM_OUTBOUND_ALLOW: "models:8080" is not/],
    ['POSTROOM_OUTBOUND_ALLOW', '*.internal', /POSTROOM_OUTBOUND_ALLOW: "\*\.internal" is not/],
    ['POSTROOM_OUTBOUND_ALLOW', '127.1', /POSTROOM_OUTBOUND_ALLOW: "127\.1" is not/],
    [
      'POSTROOM_OUTBOUND_ALLOW',
      '10.0.0.0/33',
      /POSTROOM_OUTBOUND_ALLOW: "10\.0\.0\.0\/33": the prefix/,
    ],
    ['POSTROOM_OUTBOUND_ALLOW', 'fd00::/129', /POSTROOM_OUTBOUND_ALLOW: "fd00::\/129": the prefix/],
    [
      'POSTROOM_OUTBOUND_ALLOW',
      'models/8',
      /POSTROOM_OUTBOUND_ALLOW: "models\/8": models is not an IP/,
    ],
    [
      'POSTROOM_ATTACHMENT_URL_TTL_SECONDS',
      'soon',
      /POSTROOM_ATTACHMENT_URL_TTL_SECONDS: must be a number/,
    ],
    [
      'POSTROOM_ATTACHMENT_URL_TTL_SECONDS',
      '10',
      /POSTROOM_ATTACHMENT_URL_TTL_SECONDS: must be at least 60/,
    ],
    ['POSTROOM_MAX_MAIL_BYTES', '50MB', /POSTROOM_MAX_MAIL_BYTES: must be a number of bytes/],
    ['POSTROOM_MAX_MAIL_BYTES', '100', /POSTROOM_MAX_MAIL_BYTES: must be at least 1024/],
    ['POSTROOM_MAX_MAIL_BYTES', '1073741824', /POSTROOM_MAX_MAIL_BYTES: must be at most/],
  ];
  for (const [name, value, message] of bad) {
    test(`${name}=${value} is refused naming the variable`, () => {
      assert.throws(
        () => parseEnv({ [name]: value }),
        (error: unknown) =>
          error instanceof ConfigError && error.setting === name && message.test(error.message),
      );
    });
  }

  test('roles are parsed, deduplicated, and "all" means every role', () => {
    assert.deepEqual(parseEnv({ POSTROOM_ROLES: 'api, ingest,api' }).POSTROOM_ROLES, [
      'api',
      'ingest',
    ]);
    assert.deepEqual(parseEnv({ POSTROOM_ROLES: 'all' }).POSTROOM_ROLES, [...ROLES]);
  });

  test('blank values count as unset', () => {
    assert.equal(parseEnv({ PORT: '  ', MONGODB_URI: '' }).PORT, 8080);
  });

  test('POSTROOM_OUTBOUND_ALLOW: hosts, addresses and ranges; nothing by default', () => {
    assert.deepEqual(parseEnv({}).POSTROOM_OUTBOUND_ALLOW, { hosts: [], networks: [] });
    assert.deepEqual(
      parseEnv({
        POSTROOM_OUTBOUND_ALLOW: ' 127.0.0.1, Models.Internal., 10.0.0.0/8,[::1], fd00::/8,, ',
      }).POSTROOM_OUTBOUND_ALLOW,
      {
        hosts: ['models.internal'],
        networks: [
          { address: '127.0.0.1', prefix: 32, family: 'ipv4' },
          { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
          { address: '::1', prefix: 128, family: 'ipv6' },
          { address: 'fd00::', prefix: 8, family: 'ipv6' },
        ],
      },
    );
  });

  test('secret variables are never echoed in the error', () => {
    for (const name of ['POSTROOM_SECRET_KEY', 'POSTROOM_URL_SIGNING_KEY']) {
      assert.throws(
        () => parseEnv({ [name]: 'tiny-secret' }),
        (error: unknown) => error instanceof ConfigError && !error.message.includes('tiny-secret'),
      );
    }
  });

  test('a secret-looking value is not echoed in the error', () => {
    assert.throws(
      () => parseEnv({ MONGODB_URI: 'postgres://user:hunter2@db/x' }),
      (error: unknown) => error instanceof ConfigError && !error.message.includes('hunter2'),
    );
  });
});
