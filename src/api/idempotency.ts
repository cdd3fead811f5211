// `Idempotency-Key` on every mutating /v1 call. The first request with a key
// reserves it (a unique index in MongoDB, so it holds across processes), runs,
// and its response is stored; a retry with the same key and the same request
// gets that response again (`Idempotent-Replayed: true`) without running
// twice. The same key on another request is a 422; a retry while the first
// is still running is a 409. 5xx responses are not stored: the retry runs.
// A key whose stored response was about a since-redacted conversation is a
// 410 (idempotency_key_redacted): replaying it would resurrect erased text.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/index.ts';
import { principalOf } from './auth.ts';
import { canonicalJson } from './canonical-json.ts';
import { ApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The key this request reserved; settled once its response is stored or released. */
    idempotency?: { id: string; lock_token: string; settled: boolean };
  }
}

const HEADER = 'idempotency-key';
const MAX_KEY_LENGTH = 255;
const MUTATING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export function idempotencyHooks(store: Store) {
  return (v1: FastifyInstance): void => {
    // preHandler: after authentication (the key is scoped to the account) and
    // body parsing (the body is part of the request's identity).
    v1.addHook('preHandler', async (request, reply) => {
      if (!MUTATING.has(request.method)) return;
      const key = keyOf(request);
      if (key === null) return;
      const principal = principalOf(request);
      const reservation = await store.idempotency.reserve({
        account_id: principal.account_id,
        key,
        api_key_id: principal.api_key_id,
        method: request.method,
        path: request.url,
        request_hash: bodyHash(request.body),
      });
      switch (reservation.outcome) {
        case 'reserved':
          request.idempotency = {
            id: reservation.id,
            lock_token: reservation.lock_token,
            settled: false,
          };
          return;
        case 'replay': {
          const { status, body, content_type } = reservation.response;
          if (content_type) void reply.header('content-type', content_type);
          void reply.code(status).header('idempotent-replayed', 'true');
          return reply.send(body);
        }
        case 'in_progress':
          throw new ApiError(
            'conflict',
            'idempotency_in_progress',
            `a request with Idempotency-Key "${key}" is still in progress: retry once it has finished`,
          );
        case 'redacted':
          throw new ApiError(
            'gone',
            'idempotency_key_redacted',
            `the response stored for Idempotency-Key "${key}" was about a conversation that has since been redacted: it is not replayed, and the request is not run again; use a new key for a new request`,
          );
        case 'mismatch':
          throw new ApiError(
            'unprocessable',
            'idempotency_key_reused',
            `Idempotency-Key "${key}" was already used for a different request (${reservation.record.method} ${reservation.record.path}): use a new key for a new request`,
          );
      }
    });

    v1.addHook('onSend', async (request, reply, payload) => {
      await settle(store, request, reply, payload);
      return payload;
    });

    // A response that never reached onSend (the client went away) must not
    // leave the key locked until the reservation goes stale.
    v1.addHook('onResponse', async (request, reply) => {
      await settle(store, request, reply, null);
    });
  };
}

async function settle(
  store: Store,
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<void> {
  const held = request.idempotency;
  if (!held || held.settled) return;
  held.settled = true;
  const status = reply.statusCode;
  const body =
    typeof payload === 'string'
      ? payload
      : Buffer.isBuffer(payload)
        ? payload.toString('utf8')
        : null;
  try {
    if (status >= 200 && status < 500 && body !== null) {
      const contentType = reply.getHeader('content-type');
      await store.idempotency.complete(held.id, held.lock_token, {
        status,
        body,
        content_type: typeof contentType === 'string' ? contentType : null,
      });
    } else {
      await store.idempotency.release(held.id, held.lock_token);
    }
  } catch (error) {
    // The response itself is fine; the key stays reserved until it goes stale.
    request.log.error({ err: error }, 'could not record the Idempotency-Key outcome');
  }
}

function keyOf(request: FastifyRequest): string | null {
  const raw = request.headers[HEADER];
  if (raw === undefined) return null;
  const key = (Array.isArray(raw) ? raw.join(',') : raw).trim();
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new ApiError(
      'invalid_request',
      'invalid_idempotency_key',
      `the Idempotency-Key header must be 1 to ${MAX_KEY_LENGTH} characters`,
    );
  }
  return key;
}

/** sha256 of the body as canonical JSON (object keys sorted), so key order does not matter. */
function bodyHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
