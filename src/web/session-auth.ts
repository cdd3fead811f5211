// Who a request made with the session cookie is, for the /v1 routes. A
// state-changing request must also carry the session's CSRF token in a
// header: another site can make the browser send the cookie, but it can
// neither read the token nor set a custom header without CORS, which the API
// does not grant.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AuthenticateSession, Principal } from '../api/auth.ts';
import { ApiError } from '../api/errors.ts';
import type { WebSessionRecord } from '../store/repositories/web-sessions.ts';
import { sessionTokenOf } from './session-cookie.ts';

export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface SessionLookup {
  findByToken(token: string): Promise<WebSessionRecord | null>;
}

/** The principal of a session's user as they are now; null when gone or disabled. */
export type SessionUser = (accountId: string, userId: string) => Promise<Principal | null>;

export function csrfTokenMatches(sent: unknown, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function authenticateSession(
  sessions: SessionLookup,
  userOf: SessionUser,
): AuthenticateSession {
  return async (request: FastifyRequest) => {
    const token = sessionTokenOf(request);
    if (!token) return null;
    const session = await sessions.findByToken(token);
    if (!session) return null;
    if (
      !SAFE_METHODS.has(request.method) &&
      !csrfTokenMatches(request.headers[CSRF_HEADER], session.csrf_token)
    ) {
      throw new ApiError(
        'permission_denied',
        'invalid_csrf_token',
        `a request made with the session cookie must send the session's CSRF token in ${CSRF_HEADER}`,
      );
    }
    // The signed-in user acts as their own actor, with their current permissions.
    return userOf(session.account_id, session.user_id);
  };
}
