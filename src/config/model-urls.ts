// Model base URLs, and when two of them are the same place: a key is only
// ever sent to the base URL it was configured (or given) with.

/** Where the openai SDK goes when no base URL is configured. */
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** Origin (scheme, host, port; lower case, default port dropped) + path without trailing slashes. */
export function normalizeBaseUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

export function sameBaseUrl(a: string, b: string): boolean {
  return normalizeBaseUrl(a) === normalizeBaseUrl(b);
}
