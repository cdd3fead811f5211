// The OAuth2 refresh-token grant (RFC 6749 section 6) against a provider's
// token endpoint: the only request Postroom makes to Google, Microsoft or a
// generic authorization server. The endpoint is the operator's config, never
// tenant input, so it goes out with the ordinary fetch.
import type { OAuth2Endpoint } from '../config/oauth2-providers.ts';

const REFRESH_TIMEOUT_MS = 15_000;

export interface RefreshedTokens {
  accessToken: string;
  /** Seconds; providers that omit it get a conservative default. */
  expiresIn: number;
  /** Present when the provider rotates refresh tokens (Microsoft, many generic servers). */
  refreshToken: string | null;
}

/**
 * `permanent`: the provider refused the grant (invalid_grant: revoked or
 * expired refresh token, invalid_client: wrong client id or secret); trying
 * again with the same refresh token cannot work. Otherwise an outage.
 */
export class TokenRefreshError extends Error {
  override readonly name = 'TokenRefreshError';
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Read by the IMAP watcher's failure sorting: a refused grant is refused credentials. */
  get authenticationFailed(): boolean {
    return this.permanent;
  }
}

// An hour is what Google and Microsoft give; a provider that says nothing is assumed shorter.
const DEFAULT_EXPIRES_IN_S = 600;

export async function refreshAccessToken(input: {
  endpoint: OAuth2Endpoint;
  clientId: string;
  clientSecret: string | undefined;
  refreshToken: string;
  fetchImpl?: typeof fetch;
}): Promise<RefreshedTokens> {
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: input.refreshToken,
    client_id: input.clientId,
  });
  if (input.clientSecret !== undefined) form.set('client_secret', input.clientSecret);
  if (input.endpoint.scope) form.set('scope', input.endpoint.scope);
  const host = new URL(input.endpoint.tokenUrl).host;
  let response: Response;
  try {
    response = await (input.fetchImpl ?? fetch)(input.endpoint.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
      signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS),
    });
  } catch (error) {
    throw new TokenRefreshError(`the token endpoint ${host} did not answer`, false, {
      cause: error,
    });
  }
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok) {
    const code = typeof body?.error === 'string' ? body.error : `HTTP ${response.status}`;
    const description =
      typeof body?.error_description === 'string' ? `: ${body.error_description}` : '';
    // 400/401 with an OAuth error code is the provider's final word on this grant.
    const permanent = response.status === 400 || response.status === 401;
    throw new TokenRefreshError(
      `the token endpoint ${host} refused the refresh token (${code}${description})`,
      permanent,
    );
  }
  const accessToken = body?.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new TokenRefreshError(
      `the token endpoint ${host} answered without an access_token`,
      false,
    );
  }
  const expiresIn = Number(body?.expires_in);
  return {
    accessToken,
    expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_EXPIRES_IN_S,
    refreshToken:
      typeof body?.refresh_token === 'string' && body.refresh_token !== ''
        ? body.refresh_token
        : null,
  };
}
