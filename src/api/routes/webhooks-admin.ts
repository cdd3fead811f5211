// The webhooks admin API (permission `admin`), scoped to the caller's account:
// CRUD on /v1/admin/webhooks, the deliveries of an endpoint (filter
// ?status=failed) and their replay. The signing secret is write-only: given,
// or generated and shown once in the create (or rotate) answer. Endpoints of
// the bootstrap file are changed there, not here.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  OutboundRefusedError,
  OutboundUnresolvableError,
  type AddressGuard,
} from '../../platform/outbound-guard.ts';
import type { SecretBox } from '../../platform/secret-box.ts';
import {
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  WEBHOOK_DELIVERY_STATUSES,
  newId,
  type Store,
  type WebhookDeliveryRecord,
  type WebhookEndpointRecord,
} from '../../store/index.ts';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/events.ts';
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
} from '../query.ts';
import { isoDate, list, pageInfoFor } from '../serialize/index.ts';
import { validate } from '../validate.ts';

type IdRoute = { Params: { id: string } };
type DeliveryRoute = { Params: { id: string; delivery_id: string } };

const events = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .refine((given) => new Set(given).size === given.length, 'lists an event twice');
const secret = z.string().min(16).max(256);
const url = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048);

const createBody = z.strictObject({
  url,
  events,
  /** Omitted: a random secret is generated and shown once in the answer. */
  secret: secret.optional(),
  enabled: z.boolean().optional(),
});
const patchBody = z.strictObject({
  url: url.optional(),
  events: events.optional(),
  secret: secret.optional(),
  /** true: a new random secret, shown once in the answer. */
  rotate_secret: z.literal(true).optional(),
  enabled: z.boolean().optional(),
});

const DELIVERY_QUERY = [...PAGE_PARAMS, 'status'] as const;

describeRoute({
  method: 'GET',
  path: '/v1/admin/webhooks',
  permission: 'admin',
  summary: "List the account's webhook endpoints",
  query: PAGE_PARAMS,
  responses: { 200: 'A page of webhook endpoints' },
});
describeRoute({
  method: 'POST',
  path: '/v1/admin/webhooks',
  permission: 'admin',
  summary: 'Create a webhook endpoint (a generated secret is shown once)',
  body: createBody,
  query: [],
  responses: { 201: 'The created endpoint' },
});
describeRoute({
  method: 'GET',
  path: '/v1/admin/webhooks/:id',
  permission: 'admin',
  summary: 'Get a webhook endpoint',
  query: [],
  responses: { 200: 'The endpoint' },
});
describeRoute({
  method: 'PATCH',
  path: '/v1/admin/webhooks/:id',
  permission: 'admin',
  summary: 'Update a webhook endpoint (url, events, secret, enabled)',
  body: patchBody,
  query: [],
  responses: { 200: 'The updated endpoint' },
});
describeRoute({
  method: 'DELETE',
  path: '/v1/admin/webhooks/:id',
  permission: 'admin',
  summary: 'Delete a webhook endpoint (its delivery records stay)',
  query: [],
  responses: { 204: 'Deleted' },
});
describeRoute({
  method: 'GET',
  path: '/v1/admin/webhooks/:id/deliveries',
  permission: 'admin',
  summary: "List an endpoint's deliveries, newest first (?status=pending|delivered|failed)",
  query: DELIVERY_QUERY,
  responses: { 200: 'A page of deliveries' },
});
describeRoute({
  method: 'POST',
  path: '/v1/admin/webhooks/:id/deliveries/:delivery_id/replay',
  permission: 'admin',
  summary: 'Send a failed delivery again, with a fresh attempt budget',
  query: [],
  responses: { 202: 'The delivery, pending again' },
});

export interface WebhookAdminDeps {
  store: Store;
  outbound: Pick<AddressGuard, 'checkUrl'>;
  secrets: SecretBox;
}

function serializeEndpoint(endpoint: WebhookEndpointRecord, shownSecret?: string) {
  return {
    object: 'webhook_endpoint',
    id: endpoint._id,
    key: endpoint.key,
    url: endpoint.url,
    events: endpoint.events,
    enabled: endpoint.enabled,
    source: endpoint.source,
    created_at: isoDate(endpoint.created_at),
    updated_at: isoDate(endpoint.updated_at),
    ...(shownSecret === undefined ? {} : { secret: shownSecret }),
  };
}

function serializeDelivery(delivery: WebhookDeliveryRecord) {
  return {
    object: 'webhook_delivery',
    id: delivery._id,
    endpoint_id: delivery.endpoint_id,
    event_id: delivery.event_id,
    event_type: delivery.event_type,
    conversation_id: delivery.conversation_id,
    status: delivery.status,
    attempts: delivery.attempts,
    last_status_code: delivery.last_status_code,
    last_error: delivery.last_error,
    last_attempt_at: isoDate(delivery.last_attempt_at),
    delivered_at: isoDate(delivery.delivered_at),
    created_at: isoDate(delivery.created_at),
    payload: delivery.payload,
    attempt_log: delivery.attempt_log.map((attempt) => ({
      at: isoDate(attempt.at),
      status_code: attempt.status_code,
      error: attempt.error,
      duration_ms: attempt.duration_ms,
    })),
  };
}

/** The URL must resolve, and only to addresses the outbound rules allow. */
async function checkDestination(guard: WebhookAdminDeps['outbound'], given: string) {
  try {
    await guard.checkUrl(given);
  } catch (error) {
    if (error instanceof OutboundRefusedError || error instanceof OutboundUnresolvableError) {
      throw new ApiError('unprocessable', error.code, `body.url: ${error.message}`);
    }
    throw error;
  }
}

const generateSecret = (): string => `whsec_${randomBytes(24).toString('base64url')}`;

export function webhookAdminRoutes(deps: WebhookAdminDeps) {
  const { store, secrets } = deps;
  const endpointOr404 = async (accountId: string, id: string) => {
    const endpoint = await store.webhooks.getEndpoint(accountId, id);
    if (!endpoint) throw notFound('webhook endpoint', id);
    return endpoint;
  };
  const notFromFile = (endpoint: WebhookEndpointRecord) => {
    // POSTROOM_CONFIG rewrites its endpoints at every start: an edit here would vanish.
    if (endpoint.source === 'bootstrap') {
      throw new ApiError(
        'conflict',
        'managed_by_bootstrap',
        `webhook endpoint "${endpoint.key ?? endpoint._id}" is defined in the bootstrap file (POSTROOM_CONFIG): change it there`,
      );
    }
  };

  return (v1: FastifyInstance): void => {
    const admin = { preHandler: requirePermission('admin') };

    v1.get('/admin/webhooks', admin, async (request) => {
      const { account_id } = principalOf(request);
      const query = queryOf(request);
      rejectUnknownParams(query, PAGE_PARAMS);
      const page = pageParams(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const result = await store.webhooks.listEndpoints(account_id, page);
      const path = listUrl('/v1/admin/webhooks', { limit: String(page.limit) });
      return list(
        result.items.map((endpoint) => serializeEndpoint(endpoint)),
        pageInfoFor(result, path),
      );
    });

    v1.post('/admin/webhooks', admin, async (request, reply) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      const body = validate('body', createBody, request.body);
      await checkDestination(deps.outbound, body.url);
      const id = newId('whk');
      const plain = body.secret ?? generateSecret();
      const endpoint = await store.webhooks.createEndpoint({
        _id: id,
        account_id,
        key: null,
        url: body.url,
        events: body.events,
        secret_sealed: secrets.seal(plain, id),
        enabled: body.enabled ?? true,
        source: 'api',
      });
      return reply
        .code(201)
        .send(serializeEndpoint(endpoint, body.secret === undefined ? plain : undefined));
    });

    v1.get<IdRoute>('/admin/webhooks/:id', admin, async (request) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      return serializeEndpoint(await endpointOr404(account_id, request.params.id));
    });

    v1.patch<IdRoute>('/admin/webhooks/:id', admin, async (request) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      const body = validate('body', patchBody, request.body);
      const endpoint = await endpointOr404(account_id, request.params.id);
      notFromFile(endpoint);
      if (body.secret !== undefined && body.rotate_secret) {
        throw new ApiError(
          'invalid_request',
          'invalid_parameter',
          'body: give either secret or rotate_secret, not both',
        );
      }
      if (body.url !== undefined) await checkDestination(deps.outbound, body.url);
      const rotated = body.rotate_secret ? generateSecret() : undefined;
      const plain = body.secret ?? rotated;
      const updated = await store.webhooks.updateEndpoint(account_id, endpoint._id, {
        ...(body.url === undefined ? {} : { url: body.url }),
        ...(body.events === undefined ? {} : { events: body.events }),
        ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
        ...(plain === undefined ? {} : { secret_sealed: secrets.seal(plain, endpoint._id) }),
      });
      if (!updated) throw notFound('webhook endpoint', endpoint._id);
      return serializeEndpoint(updated, rotated);
    });

    v1.delete<IdRoute>('/admin/webhooks/:id', admin, async (request, reply) => {
      const { account_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), []);
      const endpoint = await endpointOr404(account_id, request.params.id);
      notFromFile(endpoint);
      await store.webhooks.deleteEndpoint(account_id, endpoint._id);
      return reply.code(204).send();
    });

    v1.get<IdRoute>('/admin/webhooks/:id/deliveries', admin, async (request) => {
      const { account_id } = principalOf(request);
      const query = queryOf(request);
      rejectUnknownParams(query, DELIVERY_QUERY);
      const status = enumParam(query, 'status', WEBHOOK_DELIVERY_STATUSES) ?? null;
      const page = pageParams(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const endpoint = await endpointOr404(account_id, request.params.id);
      const result = await store.webhooks.listDeliveries(account_id, endpoint._id, status, page);
      const path = listUrl(`/v1/admin/webhooks/${encodeURIComponent(endpoint._id)}/deliveries`, {
        limit: String(page.limit),
        status: status ?? undefined,
      });
      return list(result.items.map(serializeDelivery), pageInfoFor(result, path));
    });

    v1.post<DeliveryRoute>(
      '/admin/webhooks/:id/deliveries/:delivery_id/replay',
      admin,
      async (request, reply) => {
        const { account_id } = principalOf(request);
        rejectUnknownParams(queryOf(request), []);
        const endpoint = await endpointOr404(account_id, request.params.id);
        const delivery = await store.webhooks.getDelivery(account_id, request.params.delivery_id);
        if (!delivery || delivery.endpoint_id !== endpoint._id) {
          throw notFound('webhook delivery', request.params.delivery_id);
        }
        if (delivery.status !== 'failed') {
          throw new ApiError(
            'conflict',
            'delivery_not_failed',
            `webhook delivery "${delivery._id}" is ${delivery.status}: only failed deliveries are replayed`,
          );
        }
        const replayed = await store.webhooks.replay(account_id, delivery._id);
        if (!replayed) {
          throw new ApiError(
            'conflict',
            'delivery_not_failed',
            `webhook delivery "${delivery._id}" is no longer failed`,
          );
        }
        return reply.code(202).send(serializeDelivery(replayed));
      },
    );
  };
}
