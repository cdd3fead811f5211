// API-key authentication (`Authorization: Bearer <key>`) and permission checks.
// Lookup is injected, so the HTTP layer never touches the database directly.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Permission } from '../config/bootstrap-schema.ts';
import { ApiError } from './errors.ts';

/** The caller (src/api/principal.ts resolves it). */
export interface Principal {
  account_id: string;
  /** Whose writes these are: the user's actor, or the bare key's own. */
  actor_id: string;
  /** The user the caller is, or null for a bare API key. */
  user_id: string | null;
  /** The key used; the scope of Idempotency-Key replays. */
  api_key_id: string;
  permissions: readonly Permission[];
}

export type Authenticate = (token: string) => Promise<Principal | null>;

/**
 * The web app's session cookie, tried only when a request has no
 * Authorization header: a bearer key is always judged on its own, so a cookie
 * can never stand in for a bad key. Null when there is no (live) session;
 * throws when the session is live but the request lacks its CSRF token.
 */
export type AuthenticateSession = (request: FastifyRequest) => Promise<Principal | null>;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function authenticateRequest(
  authenticate: Authenticate,
  authenticateSession?: AuthenticateSession,
) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    if (!header) {
      const signedIn = authenticateSession ? await authenticateSession(request) : null;
      if (signedIn) {
        request.principal = signedIn;
        request.log = request.log.child({ account: signedIn.account_id, actor: signedIn.actor_id });
        return;
      }
      throw new ApiError(
        'authentication_required',
        'missing_api_key',
        'send "Authorization: Bearer <api key>"',
      );
    }
    const match = BEARER.exec(header);
    if (!match?.[1]) {
      throw new ApiError(
        'authentication_required',
        'malformed_authorization',
        'the Authorization header must be "Bearer <api key>"',
      );
    }
    const principal = await authenticate(match[1]);
    if (!principal)
      throw new ApiError('authentication_required', 'invalid_api_key', 'the API key is not valid');
    request.principal = principal;
    request.log = request.log.child({
      account: principal.account_id,
      api_key: principal.api_key_id,
    });
  };
}

/** The caller's principal; routes behind authentication always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal)
    throw new ApiError('authentication_required', 'missing_api_key', 'not authenticated');
  return request.principal;
}

export function requirePermission(...needed: Permission[]) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const { permissions } = principalOf(request);
    // `admin` grants everything, as an account owner's key would.
    if (permissions.includes('admin')) return;
    const missing = needed.filter((p) => !permissions.includes(p));
    if (missing.length > 0) {
      throw new ApiError(
        'permission_denied',
        'missing_permission',
        `this API key lacks ${missing.join(', ')}`,
      );
    }
  };
}
