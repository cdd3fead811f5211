// The HTTP skeleton through inject(): auth, permissions, the error format,
// health and readiness. Authentication is injected as a function, the same
// seam the running process uses with the store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { buildApp } from '../../../src/api/app.ts';
import { principalOf, requirePermission, type Principal } from '../../../src/api/auth.ts';
import { ApiError } from '../../../src/api/errors.ts';
import { createMetrics } from '../../../src/api/metrics.ts';
import { validate } from '../../../src/api/validate.ts';
import { createLogger } from '../../../src/platform/logger.ts';

const readerKey: Principal = {
  account_id: 'acme',
  actor_id: 'act_1',
  user_id: null,
  api_key_id: 'key_1',
  permissions: ['messaging:read'],
};
const keys: Record<string, Principal> = { pk_reader_0001: readerKey };
let redisUp = true;
let app: FastifyInstance;

before(async () => {
  app = await buildApp({
    logger: createLogger('silent'),
    authenticate: async (token) => keys[token] ?? null,
    readiness: { mongodb: async () => true, redis: async () => redisUp },
    metrics: createMetrics(),
    routes: [
      (v1) => {
        v1.get('/whoami', async (request) => ({ account: principalOf(request).account_id }));
        v1.post('/things', { preHandler: requirePermission('messaging:write') }, async () => ({
          ok: true,
        }));
        v1.post('/echo', async (request) =>
          validate('body', z.object({ n: z.number().int() }), request.body),
        );
        v1.post('/strict', async (request) =>
          validate('body', z.object({ n: z.number().int() }).strict(), request.body),
        );
        v1.get('/boom', async () => {
          throw new Error('secret internals');
        });
        v1.get('/conflict', async () => {
          throw new ApiError('conflict', 'legal_hold', 'the conversation is under legal hold');
        });
      },
    ],
  });
});
after(() => app.close());

const auth = { authorization: 'Bearer pk_reader_0001' };

describe('api skeleton', () => {
  test('no key → 401 with the error format', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/whoami' });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), {
      error: {
        type: 'authentication_required',
        code: 'missing_api_key',
        message: 'send "Authorization: Bearer <api key>"',
      },
    });
  });

  test('a wrong key or a malformed header → 401', async () => {
    const wrong = await app.inject({
      method: 'GET',
      url: '/v1/whoami',
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error.code, 'invalid_api_key');
    const basic = await app.inject({
      method: 'GET',
      url: '/v1/whoami',
      headers: { authorization: 'Basic abc' },
    });
    assert.equal(basic.json().error.code, 'malformed_authorization');
  });

  test('a valid key reaches the route, scoped to its account', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/whoami', headers: auth });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { account: 'acme' });
    assert.ok(res.headers['x-request-id'], 'every response carries its request id');
  });

  test('a missing permission → 403 naming it', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/things', headers: auth, payload: {} });
    assert.equal(res.statusCode, 403);
    assert.match(res.json().error.message, /messaging:write/);
  });

  test('bad JSON and bad fields → 400 naming the problem', async () => {
    const badJson = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"n": ',
    });
    assert.equal(badJson.statusCode, 400);
    assert.equal(badJson.json().error.code, 'invalid_json');
    const badField = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: auth,
      payload: { n: 'x' },
    });
    assert.equal(badField.statusCode, 400);
    assert.match(badField.json().error.message, /^body\.n: /);
  });

  test('bodies too deep or too wide are refused at parse time, naming the limit', async () => {
    const post = (payload: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/echo',
        headers: { ...auth, 'content-type': 'application/json' },
        payload,
      });
    const deep = await post(`${'['.repeat(50_000)}${']'.repeat(50_000)}`);
    assert.equal(deep.statusCode, 400);
    assert.deepEqual(deep.json().error, {
      type: 'invalid_request',
      code: 'body_too_deep',
      message: 'the request body is nested deeper than 32 levels',
    });
    // At the limit the body parses, and the route decides.
    const atLimit = await post(`{"n":${'['.repeat(31)}${']'.repeat(31)}}`);
    assert.equal(atLimit.statusCode, 400);
    assert.match(atLimit.json().error.message, /^body\.n: /);
    const wide = await post(`{${Array.from({ length: 10_001 }, (_, i) => `"k${i}":1`).join(',')}}`);
    assert.equal(wide.json().error.code, 'body_too_many_keys');
    // Under the limit, unknown keys are named, a few of them: not a 100 KB message.
    const unknown = await app.inject({
      method: 'POST',
      url: '/v1/strict',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: `{"n":1,${Array.from({ length: 9_000 }, (_, i) => `"k${i}":1`).join(',')}}`,
    });
    assert.equal(unknown.statusCode, 400);
    assert.equal(
      unknown.json().error.message,
      'body: Unrecognized keys: "k0", "k1", "k2", "k3", "k4" and 8995 more',
    );
    // Brackets and colons inside strings are text, not structure.
    const text = await post(JSON.stringify({ n: 1, note: '[[[[{{{{:::'.repeat(5_000) }));
    assert.equal(text.statusCode, 200, text.body);
  });

  test('an empty body sent as application/json counts as no fields', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '',
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /^body\.n: /);
  });

  test('stable error codes map to their status; internals are not leaked', async () => {
    const conflict = await app.inject({ method: 'GET', url: '/v1/conflict', headers: auth });
    assert.equal(conflict.statusCode, 409);
    assert.equal(conflict.json().error.code, 'legal_hold');
    const boom = await app.inject({ method: 'GET', url: '/v1/boom', headers: auth });
    assert.equal(boom.statusCode, 500);
    assert.doesNotMatch(boom.body, /secret internals/);
  });

  test('unknown routes → 404 in the error format', async () => {
    const res = await app.inject({ method: 'GET', url: '/v2/nothing' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.type, 'not_found');
  });

  test('a request id sent by the caller is kept', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'abc-123' },
    });
    assert.equal(res.headers['x-request-id'], 'abc-123');
  });

  test('healthz is 200; readyz follows its checks', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    redisUp = false;
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });
    redisUp = true;
    assert.equal(notReady.statusCode, 503);
    assert.deepEqual(notReady.json().checks, { mongodb: 'ok', redis: 'unavailable' });
  });

  test('metrics are exposed in the Prometheus format', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /postroom_http_request_duration_seconds_bucket/);
  });
});
