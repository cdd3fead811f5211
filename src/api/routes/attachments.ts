// An attachment's content, streamed from GridFS (never whole in memory):
// GET /v1/messaging/attachments/{id} with the API key, or the signed,
// time-limited .../{id}/download URL the API puts in `url`, without it.
// Mail attachments are untrusted content served from our origin, so the
// headers keep a browser from running them.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Store } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { notFound } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import type { UrlSigner } from '../signed-urls.ts';
import { describeRoute } from '../openapi/registry.ts';

// Raster images only: SVG can carry script, so it is always a download.
const INLINE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
]);
// type/subtype with optional parameters, as RFC 2045 tokens; anything else
// (a header-splitting attempt, a garbled MIME header) is served as bytes.
const CONTENT_TYPE =
  /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(\s*;\s*[a-z0-9!#$&^_.+-]+=("[^"\r\n]*"|[a-z0-9!#$&^_.+-]+))*$/i;
const FALLBACK_TYPE = 'application/octet-stream';
const MAX_FILENAME = 255;

describeRoute({
  method: 'GET',
  path: '/v1/messaging/attachments/:id',
  permission: 'messaging:read',
  summary: "An attachment's content",
  query: [],
  responses: { 200: 'The attachment bytes' },
});
describeRoute({
  method: 'GET',
  path: '/v1/messaging/attachments/:id/download',
  permission: 'public',
  summary: "An attachment's content by its signed URL",
  query: ['account', 'expires', 'signature'],
  responses: { 200: 'The attachment bytes' },
});

export function attachmentRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    v1.get<{ Params: { id: string } }>(
      '/messaging/attachments/:id',
      { preHandler: requirePermission('messaging:read') },
      async (request, reply) => {
        const { account_id } = principalOf(request);
        rejectUnknownParams(queryOf(request), []);
        return sendAttachment(store, reply, account_id, request.params.id);
      },
    );
  };
}

/** The signed download route: the URL itself is the credential. */
export function signedAttachmentRoutes(store: Store, signer: UrlSigner) {
  return (open: FastifyInstance): void => {
    open.get<{ Params: { id: string } }>(
      '/messaging/attachments/:id/download',
      async (request, reply) => {
        const query = queryOf(request);
        rejectUnknownParams(query, ['account', 'expires', 'signature']);
        const { account_id, attachment_id } = signer.verify(query, request.params.id);
        return sendAttachment(store, reply, account_id, attachment_id);
      },
    );
  };
}

async function sendAttachment(
  store: Store,
  reply: FastifyReply,
  accountId: string,
  attachmentId: string,
): Promise<FastifyReply> {
  const message = await store.messages.findByAttachmentId(accountId, attachmentId);
  const attachment = message?.attachments.find((a) => a._id === attachmentId);
  // Links and resources have no stored content; a redacted one has none left.
  if (!attachment?.gridfs_id) throw notFound('attachment', attachmentId);
  const file = await store.files.info(accountId, attachment.gridfs_id);
  if (!file) throw notFound('attachment', attachmentId);

  const contentType = safeContentType(attachment.content_type ?? file.content_type);
  const inline = INLINE_TYPES.has(contentType.split(';')[0]?.trim().toLowerCase() ?? '');
  const filename = cleanFilename(attachment.filename ?? file.filename);
  void reply
    .header('content-type', contentType)
    .header('content-length', String(file.length))
    .header('content-disposition', contentDisposition(inline ? 'inline' : 'attachment', filename))
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'private, no-store');
  return reply.send(store.files.open(file.id));
}

function safeContentType(value: string | null): string {
  const trimmed = value?.trim() ?? '';
  return CONTENT_TYPE.test(trimmed) ? trimmed : FALLBACK_TYPE;
}

/** No control characters or path parts; never empty. */
function cleanFilename(name: string | null): string {
  const base = (name ?? '').split(/[/\\]/).pop() ?? '';
  const printable = [...base].filter((ch) => ch >= ' ' && ch !== '\x7f').join('');
  const cleaned = printable.trim().slice(0, MAX_FILENAME);
  return cleaned || 'attachment';
}

/**
 * RFC 6266: a plain ASCII `filename` for old clients and the exact name as
 * RFC 5987 `filename*` (UTF-8, percent-encoded) for everyone else.
 */
function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
