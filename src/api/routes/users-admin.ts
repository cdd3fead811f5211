// The users admin API (permission `admin`): GET/POST /v1/admin/users,
// GET/PATCH /v1/admin/users/{id}. A user is also an actor (same id, type
// user, handle = email). Users of the bootstrap file keep the fields the file
// sets; only their password and status change here.
import type { FastifyInstance } from 'fastify';
import {
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  newId,
  type Store,
  type UserChanges,
  type UserRecord,
} from '../../store/index.ts';
import { list, pageInfoFor } from '../serialize/index.ts';
import { hashPassword } from '../../platform/passwords.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { PAGE_PARAMS, listUrl, pageParams, queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import { createUserBody, patchUserBody, serializeUser } from './user-json.ts';
import { describeRoute } from '../openapi/registry.ts';

type IdRoute = { Params: { id: string } };

const LIST_PATH = '/v1/admin/users';
const FILE_OWNED = ['name', 'email', 'avatar_url', 'permissions'] as const;

describeRoute({
  method: 'GET',
  path: '/v1/admin/users',
  permission: 'admin',
  summary: "List the account's users (cursor-paginated)",
  query: PAGE_PARAMS,
  responses: { 200: 'A page of users' },
});
describeRoute({
  method: 'GET',
  path: '/v1/admin/users/:id',
  permission: 'admin',
  summary: 'Get a user',
  query: [],
  responses: { 200: 'The user' },
});
describeRoute({
  method: 'POST',
  path: '/v1/admin/users',
  permission: 'admin',
  summary: 'Create a user',
  body: createUserBody,
  query: [],
  responses: { 201: 'The created user' },
});
describeRoute({
  method: 'PATCH',
  path: '/v1/admin/users/:id',
  permission: 'admin',
  summary: 'Update a user',
  body: patchUserBody,
  query: [],
  responses: { 200: 'The updated user' },
});

export function userAdminRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    const admin = { preHandler: requirePermission('admin') };

    v1.get('/admin/users', admin, async (request) => {
      const { account_id } = principalOf(request);
      const query = queryOf(request);
      rejectUnknownParams(query, PAGE_PARAMS);
      const page = pageParams(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const result = await store.users.list(account_id, page);
      const url = listUrl(LIST_PATH, { limit: String(page.limit) });
      return list(result.items.map(serializeUser), pageInfoFor(result, url));
    });

    v1.get<IdRoute>('/admin/users/:id', admin, async (request) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      return serializeUser(await userOr404(store, account_id, request.params.id));
    });

    v1.post('/admin/users', admin, async (request, reply) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      const body = validate('body', createUserBody, request.body);
      const result = await store.users.create(newId('usr'), {
        account_id,
        key: null,
        name: body.name,
        email: body.email.toLowerCase(),
        avatar_url: body.avatar_url ?? null,
        permissions: body.permissions,
        password_hash: body.password === undefined ? null : await hashPassword(body.password),
        status: 'active',
        source: 'api',
      });
      if (result.outcome === 'email_taken') throw emailTaken(body.email, result.user_id);
      return reply.code(201).send(serializeUser(result.user));
    });

    v1.patch<IdRoute>('/admin/users/:id', admin, async (request) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      const body = validate('body', patchUserBody, request.body);
      const user = await userOr404(store, account_id, request.params.id);
      const fileOwned = FILE_OWNED.filter((field) => body[field] !== undefined);
      // POSTROOM_CONFIG rewrites its users at every start: an edit here would
      // silently vanish at the next one.
      if (user.source === 'bootstrap' && fileOwned.length > 0) {
        throw new ApiError(
          'conflict',
          'managed_by_bootstrap',
          `user "${user.key ?? user._id}" is defined in the bootstrap file (POSTROOM_CONFIG): change ${fileOwned.join(', ')} there; only password and status can be changed here`,
        );
      }
      const changes: UserChanges = {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.email === undefined ? {} : { email: body.email.toLowerCase() }),
        ...(body.avatar_url === undefined ? {} : { avatar_url: body.avatar_url }),
        ...(body.permissions === undefined ? {} : { permissions: body.permissions }),
        ...(body.status === undefined ? {} : { status: body.status }),
        ...(body.password === undefined
          ? {}
          : { password_hash: body.password === null ? null : await hashPassword(body.password) }),
      };
      const result = await store.users.update(account_id, user._id, changes);
      switch (result.outcome) {
        case 'not_found':
          throw notFound('user', request.params.id);
        case 'email_taken':
          throw emailTaken(body.email ?? '', result.user_id);
        case 'updated':
          return serializeUser(result.user);
        default:
          return result satisfies never;
      }
    });
  };
}

async function userOr404(store: Store, accountId: string, userId: string): Promise<UserRecord> {
  const user = await store.users.get(accountId, userId);
  if (!user) throw notFound('user', userId);
  return user;
}

function emailTaken(email: string, holder: string): ApiError {
  return new ApiError(
    'conflict',
    'user_email_taken',
    `body.email: "${email}" is already the address of user "${holder}" (addresses are case-insensitive)`,
  );
}
