// Who the caller is. A bare API key acts as itself: its own actor (type
// api_key, handle = the redacted key). A key that names a user (`user_id`)
// acts as that user: the user's actor writes the messages, notes, approvals
// and reads, and the key can do no more than the user may. A disabled user's
// keys stop working. The web app's password sign-in makes the same principal
// from the user (principalForUser).
import type { Permission } from '../config/bootstrap-schema.ts';
import { ALL_PERMISSIONS } from '../config/bootstrap-schema.ts';
import type { ApiKeyRecord, Store, UserRecord } from '../store/index.ts';
import type { Authenticate, Principal } from './auth.ts';

/** The principal for a bearer token, or null when no active key (or its user) answers. */
export async function resolvePrincipal(store: Store, token: string): Promise<Principal | null> {
  const key = await store.apiKeys.findByToken(token);
  if (!key) return null;
  const userId = key.user_id ?? null;
  if (userId === null) return keyPrincipal(key);
  const user = await store.users.get(key.account_id, userId);
  if (!user || user.status !== 'active') return null;
  return {
    account_id: key.account_id,
    actor_id: user._id,
    user_id: user._id,
    api_key_id: key._id,
    permissions: intersect(key.permissions, user.permissions),
  };
}

/** `authenticate` for buildApp() over a store. */
export function storeAuthenticator(store: Store): Authenticate {
  return (token) => resolvePrincipal(store, token);
}

/**
 * The principal of a signed-in user (no API key): for the web app's session
 * after verifyUserPassword (src/users/sign-in.ts). Idempotency-Key replays are
 * scoped by `api_key_id`; a session's scope is the user.
 */
export function principalForUser(user: UserRecord): Principal {
  return {
    account_id: user.account_id,
    actor_id: user._id,
    user_id: user._id,
    api_key_id: `user:${user._id}`,
    permissions: [...user.permissions],
  };
}

function keyPrincipal(key: ApiKeyRecord): Principal {
  return {
    account_id: key.account_id,
    actor_id: key.actor_id,
    user_id: null,
    api_key_id: key._id,
    permissions: key.permissions,
  };
}

/** What both grant; `admin` grants everything, as requirePermission() reads it. */
function intersect(a: readonly Permission[], b: readonly Permission[]): Permission[] {
  const grants = (list: readonly Permission[], p: Permission) =>
    list.includes('admin') || list.includes(p);
  return ALL_PERMISSIONS.filter((p) => grants(a, p) && grants(b, p));
}
