// GET /openapi.json, without authentication: the document of the routes this
// app registered. An onRoute hook records them as fastify registers them, so
// it must be added before any route.
import type { FastifyInstance } from 'fastify';
import { openApiDocument } from './document.ts';
import { routeKey } from './registry.ts';

export function registerOpenApi(app: FastifyInstance): void {
  const registered = new Set<string>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) registered.add(routeKey(method, route.url));
  });
  // Built on first request, when every route is registered, and kept.
  let document: Record<string, unknown> | undefined;
  app.get('/openapi.json', { logLevel: 'warn' }, async () => {
    document ??= openApiDocument(registered);
    return document;
  });
}
