// Users: the bootstrap file's users section, the admin API (GET/POST
// /v1/admin/users, GET/PATCH /v1/admin/users/{id}), keys that act as a user,
// the caller's actor on what they write, and password sign-in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseBootstrap } from '../../../src/config/load-bootstrap.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import { applyBootstrap } from '../../../src/store/index.ts';
import { verifyUserPassword } from '../../../src/users/sign-in.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import {
  ACME,
  GLOBEX,
  ROBIN,
  ROBIN_PASSWORD,
  SAM,
  call,
  errorOf,
  startUsersRuntime,
  stopRuntime,
  usersConfig,
  type Json,
} from './helpers.ts';

let runtime: TestRuntime;

const USER_FIELDS = [
  'avatar_url',
  'created_at',
  'email',
  'handle',
  'has_password',
  'id',
  'name',
  'object',
  'permissions',
  'source',
  'status',
  'updated_at',
];

async function ok<T = Json>(response: Response, status = 200): Promise<T> {
  assert.equal(response.status, status, await response.clone().text());
  return (await response.json()) as T;
}

describe('users', () => {
  before(async () => {
    runtime = await startUsersRuntime();
  });
  after(() => stopRuntime(runtime));

  test('the bootstrap file creates users: listed with the seed actor fields, password write-only', async () => {
    const page = await ok<{ object: string; data: Json[]; page_info: Json }>(
      await call(runtime, 'admin', 'GET', '/v1/admin/users'),
    );
    assert.equal(page.object, 'list');
    assert.deepEqual(
      page.data.map((u) => u.id),
      [ROBIN, SAM],
    );
    const robin = page.data[0];
    assert.deepEqual(Object.keys(robin ?? {}).sort(), USER_FIELDS);
    assert.equal(robin?.object, 'user');
    assert.equal(robin?.email, 'robin@acme.test');
    assert.equal(robin?.handle, 'robin@acme.test');
    assert.equal(robin?.avatar_url, 'https://cdn.acme.test/robin.png');
    assert.equal(robin?.has_password, true);
    assert.equal(robin?.source, 'bootstrap');
    assert.equal(page.data[1]?.has_password, false);
    assert.doesNotMatch(JSON.stringify(page), /argon2|password_hash/);
    assert.equal(page.page_info.has_next_page, false);
  });

  test('the list pages with a cursor', async () => {
    const first = await ok<{ data: Json[]; page_info: { next_page_url: string | null } }>(
      await call(runtime, 'admin', 'GET', '/v1/admin/users?limit=1'),
    );
    assert.deepEqual(
      first.data.map((u) => u.id),
      [ROBIN],
    );
    assert.ok(first.page_info.next_page_url);
    const second = await ok<{ data: Json[]; page_info: { has_next_page: boolean } }>(
      await call(runtime, 'admin', 'GET', first.page_info.next_page_url),
    );
    assert.deepEqual(
      second.data.map((u) => u.id),
      [SAM],
    );
  });

  test('POST creates a user and its actor; GET reads it; the email is unique per account', async () => {
    const created = await ok(
      await call(runtime, 'admin', 'POST', '/v1/admin/users', {
        name: 'Alex Kim',
        email: 'Alex@Acme.test',
        permissions: ['messaging:read'],
        password: 'a long enough password',
      }),
      201,
    );
    assert.match(created.id, /^usr_/);
    assert.equal(created.email, 'alex@acme.test');
    assert.equal(created.has_password, true);
    assert.equal(created.status, 'active');
    assert.equal(created.source, 'api');
    assert.equal(created.avatar_url, null);
    assert.deepEqual(
      await ok(await call(runtime, 'admin', 'GET', `/v1/admin/users/${created.id}`)),
      created,
    );
    const actor = await runtime.context.store.actors.get(ACME, created.id);
    assert.equal(actor?.type, 'user');
    assert.equal(actor?.handle, 'alex@acme.test');
    assert.equal(actor?.name, 'Alex Kim');

    const again = await call(runtime, 'admin', 'POST', '/v1/admin/users', {
      name: 'Other Alex',
      email: 'ALEX@acme.test',
    });
    assert.equal(again.status, 409);
    assert.equal((await errorOf(again)).code, 'user_email_taken');

    // Globex holds robin@acme.test too (the address is unique per account only).
    assert.equal((await call(runtime, 'globex', 'GET', '/v1/admin/users')).status, 200);
  });

  test('bad bodies are 400s naming the field', async () => {
    for (const [body, field] of [
      [{ name: 'X', email: 'not-an-address' }, 'body.email'],
      [{ name: '', email: 'x@acme.test' }, 'body.name'],
      [{ name: 'X', email: 'x@acme.test', password: 'short' }, 'body.password'],
      [{ name: 'X', email: 'x@acme.test', permissions: ['root'] }, 'body.permissions'],
      [{ name: 'X', email: 'x@acme.test', avatar_url: 'javascript:alert(1)' }, 'body.avatar_url'],
      [{ name: 'X', email: 'x@acme.test', password_hash: 'x' }, 'body'],
    ] as const) {
      const response = await call(runtime, 'admin', 'POST', '/v1/admin/users', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      const error = await errorOf(response);
      assert.equal(error.type, 'invalid_request');
      assert.ok(error.message.startsWith(field), error.message);
    }
  });

  test('admin permission is required; another account sees none of these users', async () => {
    assert.equal((await call(runtime, 'reader', 'GET', '/v1/admin/users')).status, 403);
    const globex = await ok<{ data: Json[] }>(
      await call(runtime, 'globex', 'GET', '/v1/admin/users'),
    );
    assert.deepEqual(
      globex.data.map((u) => u.name),
      ['Robin Globex'],
    );
    assert.equal((await call(runtime, 'globex', 'GET', `/v1/admin/users/${ROBIN}`)).status, 404);
    assert.equal(
      (await call(runtime, 'globex', 'PATCH', `/v1/admin/users/${ROBIN}`, { status: 'disabled' }))
        .status,
      404,
    );
  });

  test('PATCH changes an API user and its actor; a bootstrap user keeps what the file says', async () => {
    const created = await ok(
      await call(runtime, 'admin', 'POST', '/v1/admin/users', {
        name: 'Jo',
        email: 'jo@acme.test',
      }),
      201,
    );
    const patched = await ok(
      await call(runtime, 'admin', 'PATCH', `/v1/admin/users/${created.id}`, {
        name: 'Jo March',
        avatar_url: 'https://cdn.acme.test/jo.png',
        password: 'jo has a password now',
      }),
    );
    assert.equal(patched.name, 'Jo March');
    assert.equal(patched.has_password, true);
    const actor = await runtime.context.store.actors.get(ACME, created.id);
    assert.equal(actor?.name, 'Jo March');
    assert.equal(actor?.avatar_url, 'https://cdn.acme.test/jo.png');

    const managed = await call(runtime, 'admin', 'PATCH', `/v1/admin/users/${ROBIN}`, {
      name: 'Renamed',
    });
    assert.equal(managed.status, 409);
    assert.equal((await errorOf(managed)).code, 'managed_by_bootstrap');
    const taken = await call(runtime, 'admin', 'PATCH', `/v1/admin/users/${created.id}`, {
      email: 'robin@acme.test',
    });
    assert.equal(taken.status, 409);
    assert.equal((await errorOf(taken)).code, 'user_email_taken');
    assert.equal(
      (await call(runtime, 'admin', 'PATCH', '/v1/admin/users/usr_nope', { name: 'x' })).status,
      404,
    );
  });

  test("a key that names a user writes as that user's actor; a bare key as its api_key actor", async () => {
    const conversation = await runtime.context.store.conversations.create({
      account_id: ACME,
      type: 'group',
      audience: 'internal',
      title: 'Team room',
    });
    const path = `/v1/messaging/conversations/${conversation._id}/messages`;
    const byRobin = await ok(
      await call(runtime, 'robin', 'POST', `${path}?include=sender,author`, {
        body: 'Note from Robin',
        visibility: 'internal',
        channel: 'message',
      }),
      201,
    );
    assert.deepEqual(byRobin.sender, {
      id: ROBIN,
      object: 'actor',
      type: 'user',
      name: 'Robin Park',
      handle: 'robin@acme.test',
      avatar_url: 'https://cdn.acme.test/robin.png',
      role: null,
    });
    assert.deepEqual(byRobin.author, byRobin.sender);

    const byKey = await ok<{ sender: Json & { type: string; handle: string; avatar_url: null } }>(
      await call(runtime, 'admin', 'POST', `${path}?include=sender`, {
        body: 'Note from the ops key',
        visibility: 'internal',
        channel: 'message',
      }),
      201,
    );
    assert.equal(byKey.sender.type, 'api_key');
    assert.equal(byKey.sender.handle, 'pk_t…0001');
    assert.equal(byKey.sender.avatar_url, null);
  });

  test("a key acting as a user has no more than the user's permissions", async () => {
    // Sam may only read, though Sam's key lists every permission.
    assert.equal((await call(runtime, 'sam', 'GET', '/v1/messaging/conversations')).status, 200);
    const denied = await call(runtime, 'sam', 'GET', '/v1/admin/users');
    assert.equal(denied.status, 403);
    assert.equal((await errorOf(denied)).code, 'missing_permission');
  });

  test("a disabled user's keys stop working, and work again when re-enabled", async () => {
    await ok(
      await call(runtime, 'admin', 'PATCH', `/v1/admin/users/${SAM}`, { status: 'disabled' }),
    );
    const refused = await call(runtime, 'sam', 'GET', '/v1/messaging/conversations');
    assert.equal(refused.status, 401);
    await ok(await call(runtime, 'admin', 'PATCH', `/v1/admin/users/${SAM}`, { status: 'active' }));
    assert.equal((await call(runtime, 'sam', 'GET', '/v1/messaging/conversations')).status, 200);
  });

  test('verifyUserPassword: the user for the right password, null for every failure', async () => {
    const { store } = runtime.context;
    const user = await verifyUserPassword(store, {
      email: 'ROBIN@acme.test',
      password: ROBIN_PASSWORD,
    });
    assert.equal(user?._id, ROBIN);
    assert.equal(
      await verifyUserPassword(store, { email: 'robin@acme.test', password: 'wrong password' }),
      null,
    );
    assert.equal(
      await verifyUserPassword(store, { email: 'nobody@acme.test', password: ROBIN_PASSWORD }),
      null,
    );
    // Sam has no password; Globex's robin@acme.test has none either.
    assert.equal(await verifyUserPassword(store, { email: 'sam@acme.test', password: 'x' }), null);
    assert.equal(
      await verifyUserPassword(store, {
        email: 'robin@acme.test',
        password: ROBIN_PASSWORD,
        account_id: GLOBEX,
      }),
      null,
    );
    assert.equal(
      (
        await verifyUserPassword(store, {
          email: 'robin@acme.test',
          password: ROBIN_PASSWORD,
          account_id: ACME,
        })
      )?._id,
      ROBIN,
    );
  });

  test('applying the same file again changes no user (the salted hash is kept)', async () => {
    const { store } = runtime.context;
    const before = await store.users.get(ACME, ROBIN);
    const summary = await applyBootstrap(
      store,
      parseBootstrap(usersConfig(), {}, 'again.json'),
      createLogger('silent'),
    );
    assert.equal(summary.users.created, 0);
    // Sam was re-enabled above, so every bootstrap user is as the file says.
    assert.equal(summary.users.updated, 0);
    const after = await store.users.get(ACME, ROBIN);
    assert.equal(after?.password_hash, before?.password_hash);
    assert.equal(after?.updated_at.getTime(), before?.updated_at.getTime());
  });
});
