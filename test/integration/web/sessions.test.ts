// The web app's sessions through the real runtime (api role): sign-in by
// password, the cookie's attributes, CSRF on state-changing requests, sign-out,
// failed sign-ins rate-limited, and that a cookie never weakens bearer auth.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  TEST_API_KEY,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';

const ALL = ['messaging:read', 'messaging:write', 'messaging:approve', 'messaging:delete', 'admin'];
const PASSWORD = 'a long enough password';
const GLOBEX_KEY = 'pk_test_web_globex_0001';

let runtime: TestRuntime;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'postroom-web-'));
  runtime = await startTestRuntime(
    {
      accounts: [
        {
          id: 'acme',
          name: 'Acme',
          api_keys: [{ name: 'test', key: TEST_API_KEY, permissions: ALL }],
          users: [
            {
              id: 'ada',
              name: 'Ada',
              email: 'ada@acme.test',
              password: PASSWORD,
              permissions: ALL,
            },
            {
              id: 'reader',
              name: 'Reader',
              email: 'reader@acme.test',
              password: PASSWORD,
              permissions: ['messaging:read'],
            },
            {
              id: 'limited',
              name: 'Lim',
              email: 'lim@acme.test',
              password: PASSWORD,
              permissions: ['messaging:read'],
            },
          ],
          mailboxes: [
            {
              id: 'support',
              address: 'support@acme.test',
              drop_folder: join(dir, 'drop'),
              outbox_folder: join(dir, 'out'),
            },
          ],
        },
        {
          id: 'globex',
          name: 'Globex',
          api_keys: [{ name: 'g', key: GLOBEX_KEY, permissions: ALL }],
        },
      ],
    },
    { roles: 'api', env: { POSTROOM_SIGN_IN_MAX_FAILURES: '3' } },
  );
});

after(async () => {
  if (!runtime) return;
  await runtime.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

interface Session {
  cookie: string;
  setCookie: string;
  csrf: string;
  body: Record<string, unknown>;
}

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${runtime.api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function signIn(email: string, password = PASSWORD): Promise<Session> {
  const response = await post('/v1/sessions', { email, password });
  assert.equal(response.status, 201, await response.clone().text());
  const setCookie = response.headers.get('set-cookie') ?? '';
  const body = (await response.json()) as Record<string, unknown> & { csrf_token: string };
  return { cookie: setCookie.split(';')[0] ?? '', setCookie, csrf: body.csrf_token, body };
}

async function errorOf(response: Response, status: number): Promise<string> {
  assert.equal(response.status, status, await response.clone().text());
  const body = (await response.json()) as {
    error: { type: string; code: string; message: string };
  };
  assert.ok(body.error.type && body.error.message);
  return body.error.code;
}

async function newCase(): Promise<string> {
  const conversation = await runtime.context.store.conversations.create({
    account_id: 'acme',
    type: 'group',
    audience: 'customer',
    workflow_status: 'open',
    title: 'Session case',
    mailbox_id: 'support',
  });
  return conversation._id;
}

describe('web app sessions', () => {
  test('sign-in answers the session and sets an HttpOnly, SameSite=Strict cookie (not Secure on loopback HTTP)', async () => {
    const session = await signIn('Ada@Acme.test');
    assert.match(session.setCookie, /^postroom_session=[\w-]{40,};/);
    assert.match(session.setCookie, /HttpOnly/i);
    assert.match(session.setCookie, /SameSite=Strict/i);
    assert.match(session.setCookie, /Path=\//);
    assert.doesNotMatch(session.setCookie, /Secure/i);
    const user = session.body.user as Record<string, unknown>;
    assert.equal(user.id, 'usr_acme_ada');
    assert.equal(user.actor_id, 'usr_acme_ada');
    assert.equal(session.body.object, 'session');
    assert.equal(typeof session.csrf, 'string');

    const current = await fetch(`${runtime.api}/v1/sessions/current`, {
      headers: { cookie: session.cookie },
    });
    assert.equal(current.status, 200);
    assert.equal(((await current.json()) as { csrf_token: string }).csrf_token, session.csrf);
  });

  test('behind TLS (a non-loopback Host) the cookie is Secure', async () => {
    // fetch() will not send another Host: node:http will, as a TLS proxy in front would.
    const url = new URL(runtime.api);
    const setCookie = await new Promise<string>((resolve, reject) => {
      const body = JSON.stringify({ email: 'ada@acme.test', password: PASSWORD });
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/v1/sessions',
          method: 'POST',
          headers: { host: 'support.acme.example', 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          assert.equal(res.statusCode, 201);
          resolve(String(res.headers['set-cookie'] ?? ''));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    assert.match(setCookie, /; Secure/i);
  });

  test('a wrong password, an unknown address and bad bodies are refused in the error shape', async () => {
    assert.equal(
      await errorOf(
        await post('/v1/sessions', { email: 'ada@acme.test', password: 'nope-nope' }),
        401,
      ),
      'invalid_credentials',
    );
    assert.equal(
      await errorOf(
        await post('/v1/sessions', { email: 'who@acme.test', password: PASSWORD }),
        401,
      ),
      'invalid_credentials',
    );
    assert.equal(
      await errorOf(await post('/v1/sessions', { email: 'ada@acme.test' }), 400),
      'invalid_parameter',
    );
    assert.equal(
      await errorOf(
        await post(
          '/v1/sessions',
          { email: 'ada@acme.test', password: PASSWORD },
          { origin: 'https://evil.example' },
        ),
        403,
      ),
      'foreign_origin',
    );
  });

  test('failed sign-ins are rate-limited per address: 429 even with the right password', async () => {
    for (let i = 0; i < 3; i++) {
      await errorOf(
        await post('/v1/sessions', { email: 'lim@acme.test', password: `wrong-${i}-xx` }),
        401,
      );
    }
    const blocked = await post('/v1/sessions', { email: 'lim@acme.test', password: PASSWORD });
    assert.equal(await errorOf(blocked.clone(), 429), 'too_many_sign_in_failures');
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
  });

  test('the cookie reads; a state change needs the CSRF token; the write carries the user as actor', async () => {
    const session = await signIn('ada@acme.test');
    const id = await newCase();
    const read = await fetch(`${runtime.api}/v1/messaging/conversations/${id}`, {
      headers: { cookie: session.cookie },
    });
    assert.equal(read.status, 200);

    const note = { body: 'Checked by Ada', visibility: 'internal', channel: 'message' };
    const without = await post(`/v1/messaging/conversations/${id}/messages`, note, {
      cookie: session.cookie,
    });
    assert.equal(await errorOf(without, 403), 'invalid_csrf_token');
    const wrong = await post(`/v1/messaging/conversations/${id}/messages`, note, {
      cookie: session.cookie,
      'x-csrf-token': `${session.csrf.slice(0, -2)}xx`,
    });
    assert.equal(await errorOf(wrong, 403), 'invalid_csrf_token');
    const created = await post(`/v1/messaging/conversations/${id}/messages`, note, {
      cookie: session.cookie,
      'x-csrf-token': session.csrf,
    });
    assert.equal(created.status, 201, await created.clone().text());
    const message = (await created.json()) as {
      sender_id: string | null;
      author_id: string | null;
    };
    assert.equal(message.author_id ?? message.sender_id, 'usr_acme_ada');
  });

  test("the user's own permissions apply, and a disabled user's session stops working", async () => {
    const session = await signIn('reader@acme.test');
    const id = await newCase();
    const note = { body: 'Not allowed', visibility: 'internal', channel: 'message' };
    const refused = await post(`/v1/messaging/conversations/${id}/messages`, note, {
      cookie: session.cookie,
      'x-csrf-token': session.csrf,
    });
    assert.equal(await errorOf(refused, 403), 'missing_permission');
    const disable = await runtime.request('/v1/admin/users/usr_acme_reader', {
      method: 'PATCH',
      body: JSON.stringify({ status: 'disabled' }),
    });
    assert.equal(disable.status, 200, await disable.clone().text());
    const after = await fetch(`${runtime.api}/v1/messaging/conversations/${id}`, {
      headers: { cookie: session.cookie },
    });
    assert.equal(await errorOf(after, 401), 'missing_api_key');
    const current = await fetch(`${runtime.api}/v1/sessions/current`, {
      headers: { cookie: session.cookie },
    });
    assert.equal(await errorOf(current, 401), 'no_session');
  });

  test('a cookie never rescues a bad bearer key, nor lends its account to another key', async () => {
    const session = await signIn('ada@acme.test');
    const id = await newCase();
    const bad = await fetch(`${runtime.api}/v1/messaging/conversations/${id}`, {
      headers: { cookie: session.cookie, authorization: 'Bearer pk_not_a_real_key_000' },
    });
    assert.equal(await errorOf(bad, 401), 'invalid_api_key');
    const other = await fetch(`${runtime.api}/v1/messaging/conversations/${id}`, {
      headers: { cookie: session.cookie, authorization: `Bearer ${GLOBEX_KEY}` },
    });
    await errorOf(other, 404);
    // A bearer call needs no CSRF token (no cookie is involved).
    const bearer = await runtime.request(`/v1/messaging/conversations/${id}/messages`, {
      method: 'POST',
      body: JSON.stringify({ body: 'by key', visibility: 'internal', channel: 'message' }),
    });
    assert.equal(bearer.status, 201);
  });

  test('sign-out needs the CSRF token, ends the session server-side and clears the cookie', async () => {
    const session = await signIn('ada@acme.test');
    const refused = await fetch(`${runtime.api}/v1/sessions/current`, {
      method: 'DELETE',
      headers: { cookie: session.cookie },
    });
    assert.equal(await errorOf(refused, 403), 'invalid_csrf_token');
    const out = await fetch(`${runtime.api}/v1/sessions/current`, {
      method: 'DELETE',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
    });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /postroom_session=;/);
    // The old cookie, replayed, is worth nothing.
    const after = await fetch(`${runtime.api}/v1/messaging/conversations`, {
      headers: { cookie: session.cookie },
    });
    assert.equal(await errorOf(after, 401), 'missing_api_key');
    const current = await fetch(`${runtime.api}/v1/sessions/current`, {
      headers: { cookie: session.cookie },
    });
    assert.equal(await errorOf(current, 401), 'no_session');
  });

  test('the app is served at / with a strict Content-Security-Policy, its modules from this origin', async () => {
    const page = await fetch(`${runtime.api}/`);
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /connect-src 'self'/);
    const html = await page.text();
    assert.doesNotMatch(html, /https?:\/\//, 'no third-party address in the page');
    for (const path of [
      '/app/main.js',
      '/app/vendor/preact.mjs',
      '/app/vendor/htm.mjs',
      '/app/app.css',
    ]) {
      const asset = await fetch(`${runtime.api}${path}`);
      assert.equal(asset.status, 200, path);
      assert.ok(asset.headers.get('content-security-policy'), path);
    }
    await errorOf(await fetch(`${runtime.api}/app/vendor/other.mjs`), 404);
    await errorOf(await fetch(`${runtime.api}/app/index.html`), 404);
  });
});
