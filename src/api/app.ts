// Builds the HTTP app (no listening here: server.ts listens and closes), so
// tests drive it through inject() without a port.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.ts';
import { InvalidCursorError } from '../store/index.ts';
import { authenticateRequest, type Authenticate } from './auth.ts';
import { ApiError } from './errors.ts';
import { checkJsonLimits } from './json-limits.ts';
import { registerHealthRoutes, type ReadinessChecks } from './routes/health.ts';
import { registerMetrics, type Metrics } from './metrics.ts';
import { signAttachmentUrls, type UrlSigner } from './signed-urls.ts';

export interface ApiDeps {
  logger: Logger;
  authenticate: Authenticate;
  readiness: ReadinessChecks;
  metrics: Metrics;
  /** Registers the /v1 routes (behind authentication); each flow adds its own. */
  routes?: Array<(app: FastifyInstance) => void | Promise<void>>;
  /**
   * Routes under /v1 that carry their own proof instead of an API key (signed
   * download URLs). Registered beside the authenticated ones, not inside them.
   */
  publicRoutes?: Array<(app: FastifyInstance) => void | Promise<void>>;
  /** Signs the attachment URLs of every /v1 response; without it they stay plain API paths. */
  urlSigner?: UrlSigner;
}

// JSON bodies stay small (a reply text, a few fields); big payloads are a mistake or an attack.
const BODY_LIMIT_BYTES = 1024 * 1024;

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance type the default one.
    loggerInstance: deps.logger.child({ component: 'api' }) as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // On close, drop keep-alive sockets that carry no request, so shutdown
    // does not wait for idle clients.
    forceCloseConnections: 'idle',
    // Query strings like include[]=assignee arrive as arrays either way.
    routerOptions: { ignoreTrailingSlash: true },
  });

  // Many HTTP clients send Content-Type: application/json on every request,
  // bodiless DELETEs and action POSTs included: an empty body means "no fields".
  // Fastify's own parser (it refuses __proto__ poisoning), except for empty bodies,
  // after the depth and key limits (json-limits.ts), for every route at once.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      checkJsonLimits(text);
    } catch (error) {
      done(error as ApiError, undefined);
      return;
    }
    parseJson(request, text, done);
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: apiError.code, status: apiError.status }, apiError.message);
    void reply.status(apiError.status).send(apiError.toBody());
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError(
      'not_found',
      'route_not_found',
      `no route ${request.method} ${request.url.split('?')[0]}`,
    );
    void reply.status(404).send(error.toBody());
  });

  registerMetrics(app, deps.metrics);
  registerHealthRoutes(app, deps.readiness);

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', authenticateRequest(deps.authenticate));
      const signer = deps.urlSigner;
      if (signer) {
        v1.addHook('preSerialization', async (request, _reply, payload) => {
          if (request.principal) signAttachmentUrls(payload, request.principal.account_id, signer);
          return payload;
        });
      }
      for (const register of deps.routes ?? []) await register(v1);
    },
    { prefix: '/v1' },
  );
  await app.register(
    async (open) => {
      for (const register of deps.publicRoutes ?? []) await register(open);
    },
    { prefix: '/v1' },
  );
  return app;
}

function toApiError(error: FastifyError | ApiError): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof InvalidCursorError) {
    return new ApiError('invalid_request', error.code, `query.after/before: ${error.message}`);
  }
  // Fastify's own client errors (bad JSON, wrong content type, body too large...).
  const status = error.statusCode ?? 500;
  if (status === 413)
    return new ApiError(
      'invalid_request',
      'body_too_large',
      `the request body exceeds ${BODY_LIMIT_BYTES} bytes`,
    );
  if (status === 415)
    return new ApiError(
      'invalid_request',
      'unsupported_media_type',
      'send JSON with "Content-Type: application/json"',
    );
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return new ApiError(
      'invalid_request',
      'invalid_json',
      `the request body is not valid JSON: ${error.message}`,
    );
  }
  if (status >= 400 && status < 500)
    return new ApiError('invalid_request', 'bad_request', error.message);
  return new ApiError(
    'internal',
    'internal_error',
    'an internal error occurred; the request id is in the x-request-id header',
  );
}
