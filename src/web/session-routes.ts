// Sign-in and sign-out for the web app: POST /v1/sessions (email + password)
// opens a server-side session and sets its cookie; GET /v1/sessions/current
// tells the page who is signed in (and the CSRF token it must send); DELETE
// /v1/sessions/current signs out. These routes carry their own proof (the
// password, the cookie), so they sit beside the bearer-authenticated ones.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Permission } from '../config/bootstrap-schema.ts';
import { ApiError } from '../api/errors.ts';
import { validate } from '../api/validate.ts';
import type { NewWebSession, WebSessionRecord } from '../store/repositories/web-sessions.ts';
import { CSRF_HEADER, csrfTokenMatches, type SessionUser } from './session-auth.ts';
import {
  clearSessionCookie,
  sessionTokenOf,
  setSessionCookie,
  type CookieSecurity,
} from './session-cookie.ts';
import type { SignInLimiter } from './sign-in-limiter.ts';
import { describeRoute } from '../api/openapi/registry.ts';

/** A user whose password matched: who the session acts as. */
interface SignInIdentity {
  account_id: string;
  user_id: string;
  /** The user's actor: approvals, notes and reads carry it. */
  actor_id: string;
  permissions: Permission[];
  name: string | null;
  email: string;
}

/** Checks a password (users are another module's); null for any mismatch or unknown address. */
export type VerifyPassword = (email: string, password: string) => Promise<SignInIdentity | null>;

interface WebSessions {
  create(
    input: NewWebSession,
    ttlMs: number,
  ): Promise<{ token: string; session: WebSessionRecord }>;
  findByToken(token: string): Promise<WebSessionRecord | null>;
  delete(token: string): Promise<void>;
}

export interface SessionRoutesDeps {
  sessions: WebSessions;
  verifyPassword: VerifyPassword;
  limiter: SignInLimiter;
  userOf: SessionUser;
  cookieSecurity: CookieSecurity;
  ttlMs: number;
}

const signInBody = z.strictObject({
  email: z.string().trim().min(1, 'the email address is required').max(320),
  password: z.string().min(1, 'the password is required').max(1024),
});

function sessionJson(
  session: WebSessionRecord,
  permissions: readonly Permission[] = session.permissions,
) {
  return {
    object: 'session',
    user: {
      id: session.user_id,
      actor_id: session.actor_id,
      account_id: session.account_id,
      name: session.name,
      email: session.email,
      permissions,
    },
    csrf_token: session.csrf_token,
    expires_at: session.expires_at.toISOString(),
  };
}

/**
 * A sign-in posted from another site's page would sign the victim into the
 * attacker's account ("login CSRF"). Bodies must be JSON (no form can send
 * that cross-site without a CORS preflight we never grant), and an Origin, when
 * the browser sends one, must be this host.
 */
function refuseForeignOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let host: string | null;
  try {
    host = new URL(origin).host;
  } catch {
    host = null;
  }
  if (host === null || host !== request.headers.host) {
    throw new ApiError(
      'permission_denied',
      'foreign_origin',
      'sign-in is accepted only from the web app served by this host',
    );
  }
}

describeRoute({
  method: 'POST',
  path: '/v1/sessions',
  permission: 'public',
  summary: 'Sign in to the web app with email and password',
  body: signInBody,
  responses: { 201: 'The session (its cookie is set)' },
});
describeRoute({
  method: 'GET',
  path: '/v1/sessions/current',
  permission: 'session',
  summary: 'The signed-in user',
  responses: { 200: 'The session and its user' },
});
describeRoute({
  method: 'DELETE',
  path: '/v1/sessions/current',
  permission: 'session',
  summary: 'Sign out',
  responses: { 204: 'Signed out' },
});

export function sessionRoutes(deps: SessionRoutesDeps) {
  return (v1: FastifyInstance): void => {
    v1.post('/sessions', async (request, reply) => {
      refuseForeignOrigin(request);
      const body = validate('body', signInBody, request.body);
      const email = body.email.toLowerCase();
      const blockedMs = await deps.limiter.blockedFor(email, request.ip);
      if (blockedMs > 0) {
        void reply.header('retry-after', String(Math.ceil(blockedMs / 1000)));
        throw new ApiError(
          'rate_limited',
          'too_many_sign_in_failures',
          `too many failed sign-ins: try again in ${Math.ceil(blockedMs / 60_000)} minute(s)`,
        );
      }
      const identity = await deps.verifyPassword(email, body.password);
      if (!identity) {
        await deps.limiter.recordFailure(email, request.ip);
        throw new ApiError(
          'authentication_required',
          'invalid_credentials',
          'the email address or the password is wrong',
        );
      }
      await deps.limiter.recordSuccess(email);
      const { token, session } = await deps.sessions.create(
        {
          account_id: identity.account_id,
          user_id: identity.user_id,
          actor_id: identity.actor_id,
          permissions: identity.permissions,
          name: identity.name,
          email: identity.email,
        },
        deps.ttlMs,
      );
      setSessionCookie(request, reply, token, Math.floor(deps.ttlMs / 1000), deps.cookieSecurity);
      return reply.status(201).send(sessionJson(session));
    });

    v1.get('/sessions/current', async (request) => {
      const token = sessionTokenOf(request);
      const session = token ? await deps.sessions.findByToken(token) : null;
      // The user as they are now: disabled means signed out, permissions are current.
      const principal = session ? await deps.userOf(session.account_id, session.user_id) : null;
      if (!session || !principal)
        throw new ApiError('authentication_required', 'no_session', 'not signed in');
      return sessionJson(session, principal.permissions);
    });

    v1.delete('/sessions/current', async (request, reply) => {
      const token = sessionTokenOf(request);
      const session = token ? await deps.sessions.findByToken(token) : null;
      if (token && session) {
        // Signing someone out is a state change too: only the app's own page may.
        if (!csrfTokenMatches(request.headers[CSRF_HEADER], session.csrf_token)) {
          throw new ApiError(
            'permission_denied',
            'invalid_csrf_token',
            `sign-out must send the session's CSRF token in ${CSRF_HEADER}`,
          );
        }
        await deps.sessions.delete(token);
      }
      clearSessionCookie(request, reply, deps.cookieSecurity);
      return reply.status(204).send();
    });
  };
}
