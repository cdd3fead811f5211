// Time-limited download URLs for stored attachments, as the seed promises:
// an HMAC over (account, attachment, expiry), so a URL can be handed to a
// browser or an <img> tag without the API key, and stops working on its own.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.ts';

/** The unsigned path serializers emit; the API turns it into a signed URL. */
const ATTACHMENT_PATH = /^\/v1\/messaging\/attachments\/([^/?#]+)$/;

// Expiry times are rounded up to this step, so the same attachment gets the
// same URL for a few minutes (browser caches, clients comparing responses).
const EXPIRY_STEP_SECONDS = 300;

interface SignedAttachment {
  account_id: string;
  attachment_id: string;
}

export interface UrlSigner {
  /** The download URL of an attachment, valid for the configured time. */
  attachmentUrl(accountId: string, attachmentId: string, now?: Date): string;
  /** The attachment a signed URL names; throws a 4xx ApiError when it is not valid (any more). */
  verify(query: Record<string, unknown>, attachmentId: string, now?: Date): SignedAttachment;
}

export function createUrlSigner(key: string, ttlSeconds: number): UrlSigner {
  const signature = (accountId: string, attachmentId: string, expires: number): Buffer =>
    createHmac('sha256', key).update(`${accountId}\n${attachmentId}\n${expires}`).digest();

  return {
    attachmentUrl(accountId, attachmentId, now = new Date()) {
      const earliest = Math.floor(now.getTime() / 1000) + ttlSeconds;
      const expires = Math.ceil(earliest / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS;
      const query = new URLSearchParams({
        account: accountId,
        expires: String(expires),
        signature: signature(accountId, attachmentId, expires).toString('base64url'),
      });
      return `/v1/messaging/attachments/${encodeURIComponent(attachmentId)}/download?${query.toString()}`;
    },

    verify(query, attachmentId, now = new Date()) {
      const account = stringParam(query, 'account');
      const expiresText = stringParam(query, 'expires');
      const given = Buffer.from(stringParam(query, 'signature'), 'base64url');
      if (!/^\d{1,12}$/.test(expiresText)) {
        throw new ApiError(
          'invalid_request',
          'invalid_parameter',
          'query.expires: must be a Unix time in seconds',
        );
      }
      const expires = Number(expiresText);
      const expected = signature(account, attachmentId, expires);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new ApiError(
          'permission_denied',
          'invalid_signature',
          'the download URL is not valid: use the url of the attachment as the API returned it',
        );
      }
      if (expires * 1000 <= now.getTime()) {
        throw new ApiError(
          'permission_denied',
          'url_expired',
          `the download URL expired at ${new Date(expires * 1000).toISOString()}: read the message again for a fresh one`,
        );
      }
      return { account_id: account, attachment_id: attachmentId };
    },
  };
}

function stringParam(query: Record<string, unknown>, name: string): string {
  const value = query[name];
  if (typeof value !== 'string' || value === '') {
    throw new ApiError(
      'invalid_request',
      'missing_parameter',
      `query.${name}: required in a download URL`,
    );
  }
  return value;
}

/**
 * Replace the unsigned attachment paths in a response body with signed URLs of
 * the caller's account. Every route's message JSON passes through here, so no
 * route can leak an unsigned path. Bodies are fresh per request: edited in place.
 */
export function signAttachmentUrls(body: unknown, accountId: string, signer: UrlSigner): void {
  if (Array.isArray(body)) {
    for (const item of body) signAttachmentUrls(item, accountId, signer);
    return;
  }
  if (body === null || typeof body !== 'object') return;
  const record = body as Record<string, unknown>;
  if (record.object === 'message_attachment' && typeof record.url === 'string') {
    const match = ATTACHMENT_PATH.exec(record.url);
    if (match?.[1]) record.url = signer.attachmentUrl(accountId, decodeURIComponent(match[1]));
    return;
  }
  for (const value of Object.values(record)) signAttachmentUrls(value, accountId, signer);
}
