// The queue dashboard (Bull Board at /admin/queues) through the real api role:
// an admin key or an admin's web session opens the page and its API, which
// list Postroom's queues; no credentials is 401, a non-admin key or user 403,
// and so is the admin of an account the operator did not name (the queues
// hold every account's jobs). It is read-only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { QUEUE_NAMES } from '../../../src/queues/catalog.ts';
import { stopRuntime } from '../../support/helpers.ts';
import { TEST_API_KEY, startTestRuntime, type TestRuntime } from '../../support/runtime.ts';

const READER_KEY = 'pk_test_board_reader_001';
const GLOBEX_ADMIN = 'pk_test_board_globex_001';
const PASSWORD = 'a long enough password';
let runtime: TestRuntime;

before(async () => {
  runtime = await startTestRuntime(
    {
      accounts: [
        {
          id: 'acme',
          name: 'Acme',
          api_keys: [
            { name: 'admin', key: TEST_API_KEY, permissions: ['admin'] },
            { name: 'reader', key: READER_KEY, permissions: ['messaging:read', 'messaging:write'] },
          ],
          users: [
            {
              id: 'ada',
              name: 'Ada',
              email: 'ada@acme.test',
              password: PASSWORD,
              permissions: ['admin'],
            },
            {
              id: 'rob',
              name: 'Rob',
              email: 'rob@acme.test',
              password: PASSWORD,
              permissions: ['messaging:read'],
            },
          ],
        },
        {
          id: 'globex',
          name: 'Globex',
          api_keys: [{ name: 'g', key: GLOBEX_ADMIN, permissions: ['admin'] }],
        },
      ],
    },
    { roles: 'api', env: { POSTROOM_QUEUE_DASHBOARD_ACCOUNTS: 'acme' } },
  );
});

after(async () => {
  await stopRuntime(runtime);
});

function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${runtime.api}${path}`, { headers });
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function sessionCookie(email: string): Promise<string> {
  const response = await fetch(`${runtime.api}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

async function errorCode(response: Response, status: number): Promise<string> {
  assert.equal(response.status, status, await response.clone().text());
  return ((await response.json()) as { error: { code: string } }).error.code;
}

interface BoardQueues {
  queues: Array<{ name: string; readOnlyMode: boolean }>;
}

describe('the queue dashboard', () => {
  test('an admin key opens the page, and its API lists every Postroom queue, read-only', async () => {
    const page = await get('/admin/queues', bearer(TEST_API_KEY));
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /Postroom queues/);
    assert.match(html, /<base href="\/admin\/queues\/"/);
    const main = /src="(static\/js\/main[^"]+)"/.exec(html)?.[1];
    const script = main ? `/admin/queues/${main}` : undefined;
    assert.ok(script, 'the page loads its script from under /admin/queues');
    assert.equal((await get(script, bearer(TEST_API_KEY))).status, 200);
    assert.equal(await errorCode(await get(script), 401), 'missing_api_key');

    const api = await get('/admin/queues/api/queues', bearer(TEST_API_KEY));
    assert.equal(api.status, 200, await api.clone().text());
    const body = (await api.json()) as BoardQueues;
    assert.deepEqual(body.queues.map((q) => q.name).sort(), [...QUEUE_NAMES].sort());
    assert.ok(body.queues.every((q) => q.readOnlyMode));
  });

  test('an admin user signed in to the web app opens it with the session cookie', async () => {
    const cookie = await sessionCookie('ada@acme.test');
    const api = await get('/admin/queues/api/queues', { cookie });
    assert.equal(api.status, 200, await api.clone().text());
    assert.equal(((await api.json()) as BoardQueues).queues.length, QUEUE_NAMES.length);
    assert.equal((await get('/admin/queues', { cookie })).status, 200);
  });

  test('no credentials is 401; a non-admin key or user, or another account, is 403', async () => {
    assert.equal(await errorCode(await get('/admin/queues'), 401), 'missing_api_key');
    assert.equal(await errorCode(await get('/admin/queues/api/queues'), 401), 'missing_api_key');
    assert.equal(
      await errorCode(await get('/admin/queues', bearer('pk_not_a_key_at_all_000')), 401),
      'invalid_api_key',
    );
    assert.equal(
      await errorCode(await get('/admin/queues/api/queues', bearer(READER_KEY)), 403),
      'missing_permission',
    );
    const rob = await sessionCookie('rob@acme.test');
    assert.equal(
      await errorCode(await get('/admin/queues/api/queues', { cookie: rob }), 403),
      'missing_permission',
    );
    assert.equal(
      await errorCode(await get('/admin/queues/api/queues', bearer(GLOBEX_ADMIN)), 403),
      'queue_dashboard_not_allowed',
    );
  });
});
