// OAuth2 token endpoints and scopes of the mail providers Postroom knows, for
// XOAUTH2 logins to IMAP and SMTP. Pure data and string rules: no I/O.
import { isIP } from 'node:net';

export const OAUTH2_PROVIDERS = ['google', 'microsoft', 'generic'] as const;
export type OAuth2Provider = (typeof OAUTH2_PROVIDERS)[number];

export interface OAuth2Endpoint {
  tokenUrl: string;
  /** Sent with each refresh; null: the scopes the refresh token was granted with. */
  scope: string | null;
}

// Google: one scope covers IMAP and SMTP. Microsoft 365: IMAP and SMTP are
// separate Exchange Online scopes; offline_access keeps refresh tokens coming.
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const GOOGLE_SCOPE = 'https://mail.google.com/';
const MICROSOFT_SCOPE =
  'https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access';

export function oauth2Endpoint(settings: {
  provider: OAuth2Provider;
  tenant?: string;
  token_url?: string;
  scope?: string;
}): OAuth2Endpoint {
  switch (settings.provider) {
    case 'google':
      return {
        tokenUrl: settings.token_url ?? GOOGLE_TOKEN_URL,
        scope: settings.scope ?? GOOGLE_SCOPE,
      };
    case 'microsoft':
      return {
        tokenUrl:
          settings.token_url ??
          `https://login.microsoftonline.com/${settings.tenant ?? 'common'}/oauth2/v2.0/token`,
        scope: settings.scope ?? MICROSOFT_SCOPE,
      };
    case 'generic':
      if (!settings.token_url) throw new Error('a generic OAuth2 provider needs its token_url');
      return { tokenUrl: settings.token_url, scope: settings.scope ?? null };
  }
}

/** The host is this machine: traffic to it never crosses a network. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}
