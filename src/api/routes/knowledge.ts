// The knowledge base API: POST/GET /v1/knowledge/documents,
// GET/DELETE /v1/knowledge/documents/{id}, and GET /v1/knowledge/search?q=
// (what a run would retrieve, for testing the knowledge). Reads need
// messaging:read, uploads and deletes admin; all within the caller's account.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { chunkDocument, titleOf } from '../../knowledge/chunk.ts';
import type { KnowledgeIndex } from '../../knowledge/knowledge-index.ts';
import {
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  type KnowledgeDocumentRecord,
  type Store,
} from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { describeRoute } from '../openapi/registry.ts';
import {
  PAGE_PARAMS,
  enumParam,
  listUrl,
  pageParams,
  queryOf,
  rejectUnknownParams,
  singleParam,
} from '../query.ts';
import { isoDate, list, pageInfoFor } from '../serialize/index.ts';
import { validate } from '../validate.ts';

const SOURCES = ['folder', 'upload', 'reply'] as const;
const MAX_QUERY_CHARS = 2_000;
const MAX_SEARCH_LIMIT = 20;

const uploadBody = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    format: z.enum(['markdown', 'html', 'text']).default('markdown'),
    content: z.string().refine((s) => s.trim().length > 0, 'must not be empty'),
  })
  .strict();

describeRoute({
  method: 'POST',
  path: '/v1/knowledge/documents',
  permission: 'admin',
  summary: 'Upload a knowledge document (Markdown, HTML or text)',
  body: uploadBody,
  query: [],
  responses: { 201: 'The stored document' },
});
describeRoute({
  method: 'GET',
  path: '/v1/knowledge/documents',
  permission: 'messaging:read',
  summary:
    "The account's knowledge documents, newest first (folder files, uploads, approved replies)",
  query: [...PAGE_PARAMS, 'source'],
  responses: { 200: 'A page of documents (without their content)' },
});
describeRoute({
  method: 'GET',
  path: '/v1/knowledge/documents/:id',
  permission: 'messaging:read',
  summary: 'One knowledge document with its content and passages',
  query: [],
  responses: { 200: 'The document' },
});
describeRoute({
  method: 'DELETE',
  path: '/v1/knowledge/documents/:id',
  permission: 'admin',
  summary: 'Remove a knowledge document (a folder file comes back while it is in the folder)',
  query: [],
  responses: { 204: 'Removed' },
});
describeRoute({
  method: 'GET',
  path: '/v1/knowledge/search',
  permission: 'messaging:read',
  summary: 'The passages a draft would be offered for a text (BM25 ranking)',
  query: ['q', 'limit'],
  responses: { 200: 'A list of passages, best first' },
});

function serializeDocument(doc: KnowledgeDocumentRecord, withContent: boolean) {
  return {
    id: doc._id,
    object: 'knowledge_document' as const,
    source: doc.source,
    title: doc.title,
    format: doc.format,
    path: doc.path,
    conversation_id: doc.conversation_id,
    message_id: doc.message_id,
    checksum: doc.checksum,
    size_chars: doc.content.length,
    ...(withContent
      ? {
          content: doc.content,
          passages: chunkDocument(doc).map((p) => ({
            id: p.id,
            headings: p.headings,
            text: p.text,
          })),
        }
      : {}),
    created_at: isoDate(doc.created_at),
    updated_at: isoDate(doc.updated_at),
  };
}

type IdRoute = { Params: { id: string } };

export function knowledgeRoutes(store: Store, index: KnowledgeIndex) {
  return (v1: FastifyInstance): void => {
    const read = { preHandler: requirePermission('messaging:read') };
    const admin = { preHandler: requirePermission('admin') };

    v1.post('/knowledge/documents', admin, async (request, reply) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      const body = validate('body', uploadBody, request.body);
      const doc = await store.knowledge.createUpload(account_id, {
        title: body.title ?? titleOf(body.format, body.content, 'Untitled document'),
        format: body.format,
        content: body.content,
      });
      return reply.code(201).send(serializeDocument(doc, false));
    });

    v1.get('/knowledge/documents', read, async (request) => {
      const { account_id } = principalOf(request);
      const query = queryOf(request);
      rejectUnknownParams(query, [...PAGE_PARAMS, 'source']);
      const source = enumParam(query, 'source', SOURCES);
      const page = pageParams(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const result = await store.knowledge.list(account_id, source, page);
      const url = listUrl('/v1/knowledge/documents', {
        limit: String(page.limit),
        ...(source ? { source } : {}),
      });
      return list(
        result.items.map((d) => serializeDocument(d, false)),
        pageInfoFor(result, url),
      );
    });

    v1.get<IdRoute>('/knowledge/documents/:id', read, async (request) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      const doc = await store.knowledge.get(account_id, request.params.id);
      if (!doc) throw notFound('knowledge_document', request.params.id);
      return serializeDocument(doc, true);
    });

    v1.delete<IdRoute>('/knowledge/documents/:id', admin, async (request, reply) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      if (!(await store.knowledge.remove(account_id, request.params.id)))
        throw notFound('knowledge_document', request.params.id);
      return reply.code(204).send();
    });

    v1.get('/knowledge/search', read, async (request) => {
      const { account_id } = principalOf(request);
      const query = queryOf(request);
      rejectUnknownParams(query, ['q', 'limit']);
      const q = singleParam(query, 'q')?.trim();
      if (!q)
        throw new ApiError(
          'invalid_request',
          'invalid_parameter',
          'query.q: required, the text to search for',
        );
      if (q.length > MAX_QUERY_CHARS)
        throw new ApiError(
          'invalid_request',
          'invalid_parameter',
          `query.q: at most ${MAX_QUERY_CHARS} characters`,
        );
      const limitText = singleParam(query, 'limit');
      const limit = limitText === undefined ? 5 : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT)
        throw new ApiError(
          'invalid_request',
          'invalid_parameter',
          `query.limit: an integer from 1 to ${MAX_SEARCH_LIMIT}`,
        );
      const hits = await index.search(account_id, { text: q }, limit);
      return list(
        hits.map((h) => ({
          object: 'knowledge_passage' as const,
          id: h.id,
          document_id: h.document_id,
          source: h.source,
          title: h.title,
          headings: h.headings,
          text: h.text,
          score: h.score,
        })),
      );
    });
  };
}
