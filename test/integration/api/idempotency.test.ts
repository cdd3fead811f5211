// Idempotency-Key on mutating calls: replay, reuse on another request,
// concurrency, what is stored (2xx, 4xx) and what is not (5xx).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { internalsOf } from '../../../src/store/connect.ts';
import { ACME, GLOBEX, createCase, openApi, type ApiHarness } from './helpers.ts';

let api: ApiHarness;
// Routes that count their executions, so "ran once" is observable.
let slowRuns = 0;
let flakyRuns = 0;

function testRoutes(v1: FastifyInstance): void {
  v1.post('/test/slow', async () => {
    slowRuns++;
    // Long enough that concurrent duplicates reach the key while this runs, even on a loaded machine.
    await sleep(1_000);
    return { run: slowRuns };
  });
  v1.post('/test/flaky', async (_request, reply) => {
    flakyRuns++;
    if (flakyRuns === 1) throw new Error('first attempt fails');
    return reply.code(201).send({ run: flakyRuns });
  });
}

function setStatus(
  id: string,
  key: string,
  workflowStatus: string,
  who: 'writer' | 'admin' = 'writer',
) {
  return api.call(who, {
    method: 'POST',
    url: `/v1/messaging/conversations/${id}/actions/set-status`,
    headers: { 'idempotency-key': key },
    payload: { workflow_status: workflowStatus },
  });
}

describe('Idempotency-Key', () => {
  before(async () => {
    api = await openApi('api-idempotency', [testRoutes]);
  });
  after(() => api.close());

  test('a repeat replays the stored response without running again', async () => {
    const conv = await createCase(api.store);
    const first = await setStatus(conv._id, 'key-replay-1', 'open');
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const afterFirst = await api.store.conversations.get(ACME, conv._id);

    // Someone moves the case meanwhile: a replay must not move it back.
    await setStatus(conv._id, 'key-replay-other', 'waiting_internal');
    const replay = await setStatus(conv._id, 'key-replay-1', 'open');
    assert.equal(replay.statusCode, 200);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.body, first.body, 'the same body');
    assert.match(String(replay.headers['content-type']), /application\/json/);
    const now = await api.store.conversations.get(ACME, conv._id);
    assert.equal(now?.workflow_status, 'waiting_internal', 'not executed again');
    assert.ok(afterFirst);
  });

  test('the body is compared as JSON: key order does not matter', async () => {
    const conv = await createCase(api.store);
    const url = `/v1/messaging/conversations/${conv._id}`;
    const headers = { 'idempotency-key': 'key-order', 'content-type': 'application/json' };
    const first = await api.call('writer', {
      method: 'PATCH',
      url,
      headers,
      payload: '{"priority":"high","is_spam":false}',
    });
    assert.equal(first.statusCode, 200);
    const second = await api.call('writer', {
      method: 'PATCH',
      url,
      headers,
      payload: '{ "is_spam": false, "priority": "high" }',
    });
    assert.equal(second.headers['idempotent-replayed'], 'true');
  });

  test('the same key for another body, path or API key is a 422', async () => {
    const conv = await createCase(api.store);
    const other = await createCase(api.store);
    assert.equal((await setStatus(conv._id, 'key-reuse', 'open')).statusCode, 200);
    const otherBody = await setStatus(conv._id, 'key-reuse', 'resolved');
    assert.equal(otherBody.statusCode, 422);
    assert.equal(otherBody.json().error.code, 'idempotency_key_reused');
    const otherPath = await setStatus(other._id, 'key-reuse', 'open');
    assert.equal(otherPath.json().error.code, 'idempotency_key_reused');
    const otherKey = await setStatus(conv._id, 'key-reuse', 'open', 'admin');
    assert.equal(otherKey.json().error.code, 'idempotency_key_reused');
    const stored = await api.store.conversations.get(ACME, other._id);
    assert.equal(stored?.workflow_status, 'new', 'the refused request did nothing');
  });

  test('keys are per account', async () => {
    const mine = await createCase(api.store);
    const theirs = await createCase(api.store, { account_id: GLOBEX });
    assert.equal((await setStatus(mine._id, 'shared-key', 'open')).statusCode, 200);
    const res = await api.call('other', {
      method: 'POST',
      url: `/v1/messaging/conversations/${theirs._id}/actions/set-status`,
      headers: { 'idempotency-key': 'shared-key' },
      payload: { workflow_status: 'open' },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['idempotent-replayed'], undefined);
  });

  test('4xx answers are stored and replayed too', async () => {
    const chat = await api.store.conversations.create({
      account_id: ACME,
      type: 'group',
      audience: 'internal',
    });
    const first = await setStatus(chat._id, 'key-422', 'open');
    assert.equal(first.statusCode, 422);
    const again = await setStatus(chat._id, 'key-422', 'open');
    assert.equal(again.statusCode, 422);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.body, first.body);
  });

  test('5xx answers are not stored: the retry runs', async () => {
    const call = () =>
      api.call('writer', {
        method: 'POST',
        url: '/v1/test/flaky',
        headers: { 'idempotency-key': 'k-flaky' },
      });
    const failed = await call();
    assert.equal(failed.statusCode, 500);
    const retried = await call();
    assert.equal(retried.statusCode, 201);
    assert.equal(retried.headers['idempotent-replayed'], undefined);
    const replayed = await call();
    assert.equal(replayed.statusCode, 201);
    assert.equal(replayed.headers['idempotent-replayed'], 'true');
    assert.equal(flakyRuns, 2);
  });

  test('a concurrent duplicate is refused with 409 while the first runs; it runs once', async () => {
    const call = () =>
      api.call('writer', {
        method: 'POST',
        url: '/v1/test/slow',
        headers: { 'idempotency-key': 'k-slow' },
      });
    const results = await Promise.all([call(), call(), call()]);
    const statuses = results.map((r) => r.statusCode).sort();
    assert.deepEqual(statuses, [200, 409, 409]);
    const refused = results.find((r) => r.statusCode === 409);
    assert.equal(refused?.json().error.code, 'idempotency_in_progress');
    assert.equal(slowRuns, 1, 'executed once');
    const later = await call();
    assert.equal(later.headers['idempotent-replayed'], 'true');
    assert.deepEqual(later.json(), { run: 1 });
    assert.equal(slowRuns, 1);
  });

  test('concurrent real actions with one key have one effect', async () => {
    const conv = await createCase(api.store);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => setStatus(conv._id, 'key-race', 'resolved')),
    );
    for (const res of results) {
      assert.ok(res.statusCode === 200 || res.statusCode === 409, `${res.statusCode}: ${res.body}`);
    }
    const executed = results.filter(
      (r) => r.statusCode === 200 && r.headers['idempotent-replayed'] === undefined,
    );
    assert.equal(executed.length, 1, 'exactly one request ran');
    const closedAt = executed[0]?.json().closed_at;
    for (const replay of results.filter((r) => r.headers['idempotent-replayed'] === 'true')) {
      assert.equal(replay.json().closed_at, closedAt);
    }
  });

  test('a key longer than 255 characters is a 400; GETs ignore the header', async () => {
    const conv = await createCase(api.store);
    const long = await setStatus(conv._id, 'k'.repeat(256), 'open');
    assert.equal(long.statusCode, 400);
    assert.equal(long.json().error.code, 'invalid_idempotency_key');
    const max = await setStatus(conv._id, 'k'.repeat(255), 'open');
    assert.equal(max.statusCode, 200);
    const read = await api.call('reader', {
      method: 'GET',
      url: `/v1/messaging/conversations/${conv._id}`,
      headers: { 'idempotency-key': 'k'.repeat(255) },
    });
    assert.equal(read.statusCode, 200);
    assert.equal(read.headers['idempotent-replayed'], undefined);
  });

  test('a body nested 50,000 deep is a 400 before any hashing, with or without a key', async () => {
    const conv = await createCase(api.store);
    const url = `/v1/messaging/conversations/${conv._id}/actions/set-status`;
    const depth = 50_000;
    const bodies = {
      objects: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      arrays: `${'['.repeat(depth)}${']'.repeat(depth)}`,
    };
    for (const [shape, payload] of Object.entries(bodies)) {
      for (const key of [`k-deep-${shape}`, undefined]) {
        const res = await api.call('writer', {
          method: 'POST',
          url,
          headers: {
            'content-type': 'application/json',
            ...(key ? { 'idempotency-key': key } : {}),
          },
          payload,
        });
        const label = `${shape}, ${key ? 'with' : 'without'} Idempotency-Key`;
        assert.equal(res.statusCode, 400, `${label}: ${res.body}`);
        assert.deepEqual(res.json(), {
          error: {
            type: 'invalid_request',
            code: 'body_too_deep',
            message: 'the request body is nested deeper than 32 levels',
          },
        });
      }
    }
    const stored = await api.store.conversations.get(ACME, conv._id);
    assert.equal(stored?.workflow_status, 'new', 'nothing ran');
    // Refused before the key was reserved: the same key still works for a real request.
    const real = await setStatus(conv._id, 'k-deep-objects', 'open');
    assert.equal(real.statusCode, 200, real.body);
    assert.equal(real.headers['idempotent-replayed'], undefined);
  });

  test('a body with more than 10,000 keys is a 400, with or without a key', async () => {
    const conv = await createCase(api.store);
    const wide = `{"workflow_status":"open",${Array.from({ length: 10_000 }, (_, i) => `"k${i}":0`).join(',')}}`;
    for (const key of ['k-wide', undefined]) {
      const res = await api.call('writer', {
        method: 'POST',
        url: `/v1/messaging/conversations/${conv._id}/actions/set-status`,
        headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        payload: wide,
      });
      assert.equal(res.statusCode, 400, res.body);
      assert.deepEqual(res.json().error, {
        type: 'invalid_request',
        code: 'body_too_many_keys',
        message: 'the request body has more than 10000 object keys',
      });
    }
  });

  test('records expire after 24 hours and are unique per account and key', async () => {
    const db = internalsOf(api.store).connection.db;
    assert.ok(db);
    const indexes = await db.collection('idempotency_keys').listIndexes().toArray();
    const ttl = indexes.find((i) => i.key?.created_at === 1);
    assert.equal(ttl?.expireAfterSeconds, 86_400);
    const unique = indexes.find((i) => i.key?.account_id === 1 && i.key?.key === 1);
    assert.equal(unique?.unique, true);
  });
});
