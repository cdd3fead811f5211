// Who may sign in to the web app: the users of the bootstrap file and the
// admin API, by password. The users module owns users and password hashes;
// this adapts its check to the session routes' VerifyPassword.
import type { Store } from '../store/index.ts';
import type { VerifyPassword } from './session-routes.ts';

export function verifyPassword(_store: Store): VerifyPassword {
  // Until users with password hashes exist, no one can sign in.
  return async () => null;
}
