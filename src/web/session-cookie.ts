// The session cookie's name and attributes. HttpOnly (page scripts never see
// the token), SameSite=Strict (no other site's page sends it), Path=/ and, when
// the app is reached over TLS or anywhere but loopback, Secure.
import type { FastifyReply, FastifyRequest } from 'fastify';

const SESSION_COOKIE = 'postroom_session';

export type CookieSecurity = 'auto' | 'always' | 'never';

const LOOPBACK_HOST = /^(127(?:\.\d{1,3}){3}|localhost|\[::1\])(?::\d+)?$/i;

/**
 * `auto`: Secure unless the request came over plain HTTP to a loopback host (a
 * trial on http://127.0.0.1, where a browser would drop a Secure cookie).
 * Behind a TLS proxy the Host is the public name, so the cookie is Secure.
 */
function cookieIsSecure(request: FastifyRequest, mode: CookieSecurity): boolean {
  if (mode !== 'auto') return mode === 'always';
  if (request.protocol === 'https') return true;
  return !LOOPBACK_HOST.test(request.headers.host ?? '');
}

export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  maxAgeSeconds: number,
  mode: CookieSecurity,
): void {
  void reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: cookieIsSecure(request, mode),
    maxAge: maxAgeSeconds,
  });
}

export function clearSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  mode: CookieSecurity,
): void {
  void reply.clearCookie(SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: cookieIsSecure(request, mode),
  });
}

export function sessionTokenOf(request: FastifyRequest): string | undefined {
  const token = request.cookies[SESSION_COOKIE];
  return token && token.length <= 128 ? token : undefined;
}
