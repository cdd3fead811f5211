// Password sign-in for the web app: the one place that turns an address and a
// password into a user. It says only "this user" or "no": an unknown address,
// a user without a password, a disabled user and a wrong password all answer
// null, after the same amount of hashing work.
import type { Store, UserRecord } from '../store/index.ts';
import { passwordMatches, spendVerificationTime } from './passwords.ts';

export interface PasswordSignIn {
  email: string;
  password: string;
  /**
   * The account to sign in to. Optional: an address is unique within an
   * account, not across them; without it, the sign-in succeeds only when
   * exactly one account's user with that address has this password.
   */
  account_id?: string;
}

/**
 * The active user whose address and password these are, or null.
 *
 * @example
 *   const user = await verifyUserPassword(store, { email, password });
 *   if (!user) return reply.code(401).send(...); // same answer for every failure
 *   const principal = principalForUser(user);     // src/api/principal.ts
 */
export async function verifyUserPassword(
  store: Store,
  { email, password, account_id }: PasswordSignIn,
): Promise<UserRecord | null> {
  const candidates = (await store.users.findActiveByEmail(email, account_id)).filter(
    (user): user is UserRecord & { password_hash: string } => user.password_hash !== null,
  );
  if (candidates.length === 0) {
    await spendVerificationTime(password);
    return null;
  }
  const matching: UserRecord[] = [];
  // Every candidate is checked (no early exit): the time depends on how many
  // accounts share the address, never on which password matched.
  for (const user of candidates) {
    if (await passwordMatches(user.password_hash, password)) matching.push(user);
  }
  return matching.length === 1 ? (matching[0] ?? null) : null;
}
