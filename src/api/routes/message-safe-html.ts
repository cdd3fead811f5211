// GET /v1/messaging/messages/{id}/safe-html?remote_images=block|show: a
// message's HTML body sanitized for display (safe-html.ts), as JSON. The web
// app shows it in a sandboxed frame; the hostile original never reaches a
// browser's parser. Same permission and account scoping as the raw body.
import { text } from 'node:stream/consumers';
import type { FastifyInstance } from 'fastify';
import type { MessageRecord, Store } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { enumParam, queryOf, rejectUnknownParams } from '../query.ts';
import type { UrlSigner } from '../signed-urls.ts';
import { safeMailHtml } from './safe-html.ts';
import { describeRoute } from '../openapi/registry.ts';

// Sanitizing holds the whole HTML in memory: larger bodies are downloads only.
const MAX_SANITIZED_BYTES = 8 * 1024 * 1024;

async function htmlOf(store: Store, message: MessageRecord): Promise<string> {
  const file = message.body_files?.html;
  if (!file) {
    if (message.html === null || message.html === undefined)
      throw new ApiError('not_found', 'no_html_body', `message "${message._id}" has no HTML body`);
    return message.html;
  }
  const info = await store.files.info(message.account_id, file.gridfs_id);
  if (!info) throw new Error(`the HTML body file of message ${message._id} is missing`);
  if (info.length > MAX_SANITIZED_BYTES) {
    throw new ApiError(
      'unprocessable',
      'html_too_large',
      `the HTML body is ${info.length} bytes, more than the ${MAX_SANITIZED_BYTES} shown sanitized: download it from /v1/messaging/messages/${message._id}/html`,
    );
  }
  return text(store.files.open(info.id));
}

describeRoute({
  method: 'GET',
  path: '/v1/messaging/messages/:id/safe-html',
  permission: 'messaging:read',
  summary: "A message's sanitized HTML",
  query: ['remote_images'],
  responses: { 200: 'The sanitized HTML' },
});

export function messageSafeHtmlRoutes(store: Store, signer: UrlSigner | undefined) {
  return (v1: FastifyInstance): void => {
    v1.get<{ Params: { id: string } }>(
      '/messaging/messages/:id/safe-html',
      { preHandler: requirePermission('messaging:read') },
      async (request, reply) => {
        const { account_id } = principalOf(request);
        const query = queryOf(request);
        rejectUnknownParams(query, ['remote_images']);
        const remoteImages =
          enumParam(query, 'remote_images', ['block', 'show'] as const) ?? 'block';
        const message = await store.messages.get(account_id, request.params.id);
        if (!message) throw notFound('message', request.params.id);
        const byContentId = new Map(
          (message.attachments ?? [])
            .filter((a) => a.content_id)
            .map((a) => [a.content_id as string, a._id]),
        );
        const safe = safeMailHtml(await htmlOf(store, message), {
          remoteImages,
          inlineImageUrl: (contentId) => {
            const id = byContentId.get(contentId);
            if (!id) return null;
            return signer
              ? signer.attachmentUrl(account_id, id)
              : `/v1/messaging/attachments/${encodeURIComponent(id)}`;
          },
        });
        void reply.header('cache-control', 'private, no-store');
        return { object: 'safe_html', message_id: message._id, ...safe };
      },
    );
  };
}
