// Users through the real runtime (api role): an account with bootstrap users,
// a bare admin key, keys that act as users, and a second account.
import { agentIdFor, userIdFor } from '../../../src/store/index.ts';
import {
  TEST_API_KEY,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';

export const ACME = 'acme';
export const GLOBEX = 'globex';
export const ROBIN = userIdFor(ACME, 'robin');
export const SAM = userIdFor(ACME, 'sam');
export const HELPER = agentIdFor(ACME, 'helper');
export const ROBIN_PASSWORD = 'correct horse battery';

export const KEYS = {
  /** Bare key, every permission. */
  admin: TEST_API_KEY,
  /** Acts as Robin (a user with read/write/approve). */
  robin: 'pk_acme_robin_key_00001',
  /** Acts as Sam (read only), though the key itself says admin. */
  sam: 'pk_acme_sam_key_0000001',
  reader: 'pk_acme_reader_0000001',
  globex: 'pk_globex_admin_000001',
} as const;

const ALL = ['messaging:read', 'messaging:write', 'messaging:approve', 'messaging:delete', 'admin'];

/** `mailboxes`: per account id, the mailboxes to give it (drop folders, say). */
export function usersConfig(mailboxes: Record<string, unknown[]> = {}): unknown {
  return {
    accounts: [
      {
        id: ACME,
        name: 'Acme',
        users: [
          {
            id: 'robin',
            name: 'Robin Park',
            email: 'Robin@Acme.test',
            avatar_url: 'https://cdn.acme.test/robin.png',
            permissions: ['messaging:read', 'messaging:write', 'messaging:approve'],
            password: ROBIN_PASSWORD,
          },
          { id: 'sam', name: 'Sam Lee', email: 'sam@acme.test', permissions: ['messaging:read'] },
        ],
        api_keys: [
          { name: 'test', key: KEYS.admin, permissions: ALL },
          { name: 'robin', key: KEYS.robin, permissions: ALL, user: 'robin' },
          { name: 'sam', key: KEYS.sam, permissions: ALL, user: 'sam' },
          { name: 'reader', key: KEYS.reader, permissions: ['messaging:read'] },
        ],
        agents: [
          {
            id: 'helper',
            name: 'Helper',
            handle: 'helper',
            provider: { type: 'template', template: 'Hi' },
            trigger_policy: 'mention',
          },
        ],
        mailboxes: mailboxes[ACME] ?? [],
      },
      {
        id: GLOBEX,
        name: 'Globex',
        users: [{ id: 'robin', name: 'Robin Globex', email: 'robin@acme.test' }],
        api_keys: [{ name: 'admin', key: KEYS.globex, permissions: ALL }],
        mailboxes: mailboxes[GLOBEX] ?? [],
      },
    ],
  };
}

export function startUsersRuntime(
  mailboxes: Record<string, unknown[]> = {},
  roles = 'api',
): Promise<TestRuntime> {
  return startTestRuntime(usersConfig(mailboxes), { roles });
}

export async function stopRuntime(runtime: TestRuntime | undefined): Promise<void> {
  if (!runtime) return;
  await runtime.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
}

export type Json = Record<string, unknown> & { id: string };

/** A request with one of the KEYS (JSON body when given). */
export function call(
  runtime: TestRuntime,
  key: keyof typeof KEYS,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return runtime.request(path, {
    method,
    headers: { authorization: `Bearer ${KEYS[key]}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export async function errorOf(
  response: Response,
): Promise<{ type: string; code: string; message: string }> {
  const body = (await response.json()) as {
    error: { type: string; code: string; message: string };
  };
  return body.error;
}
