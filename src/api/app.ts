// Builds the HTTP app (no listening here: runtime/api-role.ts listens, and the
// shutdown closes it), so tests drive it through inject() without a port.
import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import type { Logger } from '../platform/logger.ts';
import { authenticateRequest, type Authenticate, type AuthenticateSession } from './auth.ts';
import { ApiError } from './errors.ts';
import { clientErrorHandler, toApiError } from './framework-errors.ts';
import { BODY_LIMIT_BYTES, MAX_PARAM_LENGTH, checkJsonLimits } from './request-limits.ts';
import { registerOpenApi } from './openapi/route.ts';
import {
  registerHealthRoutes,
  type FailingMailbox,
  type ReadinessChecks,
} from './routes/health.ts';
import type { Metrics } from '../platform/metrics.ts';
import { registerMetrics } from './metrics-route.ts';
import { signAttachmentUrls, type UrlSigner } from './signed-urls.ts';

export interface ApiDeps {
  logger: Logger;
  authenticate: Authenticate;
  /** The web app's session cookie, for requests without an Authorization header. */
  authenticateSession?: AuthenticateSession;
  /** Routes outside /v1 (the web app's pages and assets). */
  rootRoutes?: Array<(app: FastifyInstance) => void | Promise<void>>;
  readiness: ReadinessChecks;
  /** Mailboxes whose watcher cannot log in or connect: /readyz reports them as degraded. */
  failingMailboxes?: () => Promise<FailingMailbox[]>;
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

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const logger = deps.logger.child({ component: 'api' });
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance type the default one.
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // The router's own refusals (bad percent-encoding, an over-long id) and the
    // HTTP parser's (headers too large, malformed requests) answer in the API's
    // error shape too, not fastify's or Node's (framework-errors.ts).
    frameworkErrors: (error, request, reply) => {
      const apiError = toApiError(error);
      request.log.info({ code: apiError.code, status: apiError.status }, apiError.message);
      // The option is generic over route schemas we do not use: a plain reply here. No
      // route means no onSend hook either, so the request id header is set here.
      void (reply as unknown as FastifyReply)
        .status(apiError.status)
        .header('x-request-id', request.id)
        .send(apiError.toBody());
    },
    clientErrorHandler: clientErrorHandler(logger),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Fastify logs a request twice (received, completed): one line is written
    // in onResponse below instead.
    disableRequestLogging: true,
    // On close, drop keep-alive sockets that carry no request, so shutdown
    // does not wait for idle clients.
    forceCloseConnections: 'idle',
    // Query strings like include[]=assignee arrive as arrays either way.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
  });
  // Bodies are JSON or nothing: a text/plain body must not reach a route as a string.
  app.removeContentTypeParser('text/plain');

  // Many HTTP clients send Content-Type: application/json on every request,
  // bodiless DELETEs and action POSTs included: an empty body means "no fields".
  // Fastify's own parser (it refuses __proto__ poisoning), except for empty bodies,
  // after the depth and key limits (request-limits.ts), for every route at once.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      // Not decoded here: parsing the compressed bytes as JSON would only fail obscurely.
      done(
        new ApiError(
          'invalid_request',
          'unsupported_content_encoding',
          `Content-Encoding "${encoding.slice(0, 40)}" is not supported: send the body uncompressed`,
        ),
        undefined,
      );
      return;
    }
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
  // One line per request, at the route's log level (probes and scrapes log at warn).
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request completed',
    );
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

  // Cookies are read only by the web app's session check (src/web): before the
  // /v1 routes register, so they see request.cookies.
  await app.register(fastifyCookie);

  // Before every route: it records each one as fastify registers it.
  registerOpenApi(app);
  registerMetrics(app, deps.metrics);
  registerHealthRoutes(app, deps.readiness, deps.failingMailboxes);

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', authenticateRequest(deps.authenticate, deps.authenticateSession));
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
  for (const register of deps.rootRoutes ?? []) await register(app);
  return app;
}
