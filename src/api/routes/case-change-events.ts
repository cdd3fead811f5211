// The account's event stream hears of every case change a person makes
// through the API (status, legal hold, awaiting, transfer, PATCH/PUT), so that
// every open inbox shows it without a reload. Published after the response
// is sent: realtime is best effort, and a lost event costs a client a refresh,
// never data.
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { redisPublisher } from '../../realtime/events.ts';
import type { Store } from '../../store/index.ts';
import { webhookPublisher } from '../../webhooks/emit.ts';

const CASE_CHANGES = new Set([
  'POST /messaging/conversations/:id/actions/set-status',
  'POST /messaging/conversations/:id/actions/set-legal-hold',
  'POST /messaging/conversations/:id/actions/set-awaiting',
  'POST /messaging/conversations/:id/actions/transfer',
  'PATCH /messaging/conversations/:id',
  'PUT /messaging/conversations/:id',
]);

export function caseChangeEvents(deps: { redis: Redis; prefix: string; store: Store }) {
  const publisher = webhookPublisher(redisPublisher(deps.redis, deps.prefix), {
    store: deps.store,
  });
  return (v1: FastifyInstance): void => {
    v1.addHook('onResponse', async (request, reply) => {
      if (reply.statusCode >= 300) return;
      const route = (request.routeOptions.url ?? '').replace(/^\/v1/, '');
      if (!CASE_CHANGES.has(`${request.method} ${route}`)) return;
      const { id } = request.params as { id?: string };
      if (id) await publisher.publish({ type: 'conversation.updated', conversation_id: id });
    });
  };
}
