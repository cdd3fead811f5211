// Optimistic concurrency for human decisions on a message. A message's ETag is
// its quoted updated_at, so a client that read it from any list can send
// `If-Match` without fetching it again; a decision on a version that is gone
// answers 412 instead of overwriting what someone else did meanwhile.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

const ETAG = /^(?:W\/)?"([^"]+)"$/;

export function setMessageEtag(reply: FastifyReply, message: { updated_at: string }): void {
  void reply.header('etag', `"${message.updated_at}"`);
}

/** The version If-Match names; undefined when absent or `*` (any version). */
export function ifMatchOf(request: FastifyRequest): Date | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return undefined;
  const quoted = ETAG.exec(value)?.[1];
  const version = quoted ? new Date(quoted) : null;
  if (!quoted || !version || Number.isNaN(version.getTime()) || version.toISOString() !== quoted) {
    throw new ApiError(
      'invalid_request',
      'invalid_if_match',
      'header If-Match: must be one ETag of the message as the API returned it (its quoted updated_at), or *',
    );
  }
  return version;
}
