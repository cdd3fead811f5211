// Prometheus over HTTP: time every request by route pattern, and serve the
// process's registry on GET /metrics.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../platform/metrics.ts';

export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    // routeOptions.url is the pattern (/v1/.../:id), keeping label cardinality bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
