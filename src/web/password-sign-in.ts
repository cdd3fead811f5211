// Who may sign in to the web app, and who a live session acts as: the users
// of the bootstrap file and the admin API (src/users). Sign-in checks the
// password there; every request re-reads the user, so a disabled user or a
// changed permission takes effect at once, not at the next sign-in.
import type { Principal } from '../api/auth.ts';
import { principalForUser } from '../api/principal.ts';
import type { Store } from '../store/index.ts';
import { verifyUserPassword } from '../users/sign-in.ts';
import type { SessionUser } from './session-auth.ts';
import type { VerifyPassword } from './session-routes.ts';

export function verifyPassword(store: Store): VerifyPassword {
  return async (email, password) => {
    const user = await verifyUserPassword(store, { email, password });
    if (!user) return null;
    return {
      account_id: user.account_id,
      user_id: user._id,
      // A user is their own actor: approvals and notes carry who did them.
      actor_id: user._id,
      permissions: [...user.permissions],
      name: user.name,
      email: user.email,
    };
  };
}

export function sessionUser(store: Store): SessionUser {
  return async (accountId, userId): Promise<Principal | null> => {
    const user = await store.users.get(accountId, userId);
    return user && user.status === 'active' ? principalForUser(user) : null;
  };
}
