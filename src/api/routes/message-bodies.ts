// A message's whole body: GET /v1/messaging/messages/{id}/body (the text) and
// .../html (the HTML), for every message, inline or not. The message JSON
// holds at most the first MiB of the text (`body_truncated` says when it was
// cut); these return all of it, streamed from GridFS when it is stored there.
// Same permission and account scoping as attachments; the HTML is untrusted
// content served from our origin, so it is a download a browser will not run.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { BodyFile, MessageRecord, Store } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { describeRoute } from '../openapi/registry.ts';

type Kind = 'text' | 'html';

describeRoute({
  method: 'GET',
  path: '/v1/messaging/messages/:id/body',
  permission: 'messaging:read',
  summary: "A message's whole text body",
  query: [],
  responses: { 200: 'The text' },
});
describeRoute({
  method: 'GET',
  path: '/v1/messaging/messages/:id/html',
  permission: 'messaging:read',
  summary: "A message's whole HTML body, as a download",
  query: [],
  responses: { 200: 'The HTML' },
});

export function messageBodyRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    const read = { preHandler: requirePermission('messaging:read') };
    for (const [path, kind] of [
      ['body', 'text'],
      ['html', 'html'],
    ] as const) {
      v1.get<{ Params: { id: string } }>(
        `/messaging/messages/:id/${path}`,
        read,
        async (request, reply) => {
          const { account_id } = principalOf(request);
          rejectUnknownParams(queryOf(request), []);
          const message = await store.messages.get(account_id, request.params.id);
          if (!message) throw notFound('message', request.params.id);
          return sendBody(store, reply, message, kind);
        },
      );
    }
  };
}

async function sendBody(
  store: Store,
  reply: FastifyReply,
  message: MessageRecord,
  kind: Kind,
): Promise<FastifyReply> {
  const inline = kind === 'text' ? message.body : message.html;
  if (inline === null || inline === undefined) {
    throw new ApiError(
      'not_found',
      kind === 'text' ? 'no_text_body' : 'no_html_body',
      `message "${message._id}" has no ${kind === 'text' ? 'text' : 'HTML'} body`,
    );
  }
  void reply
    .header('content-type', `text/${kind === 'text' ? 'plain' : 'html'}; charset=utf-8`)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'private, no-store');
  if (kind === 'html')
    void reply.header('content-disposition', `attachment; filename="${message._id}.html"`);
  const file: BodyFile | null | undefined = message.body_files?.[kind];
  if (!file) return reply.send(inline);
  const info = await store.files.info(message.account_id, file.gridfs_id);
  if (!info) throw new Error(`the ${kind} body file of message ${message._id} is missing`);
  void reply.header('content-length', String(info.length));
  return reply.send(store.files.open(info.id));
}
