// The api role: build the HTTP app over the store and listen on HOST:PORT.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.ts';
import { storeAuthenticator } from '../api/principal.ts';
import { queueDashboardRoutes } from '../api/queue-dashboard.ts';
import { QUEUE_NAMES } from '../queues/catalog.ts';
import { adminInboundRoutes } from '../api/routes/admin-inbound.ts';
import { createMailboxCredentials } from '../credentials/mailbox-credentials.ts';
import { agentApiRoutes } from '../api/routes/agent-api.ts';
import { signedAttachmentRoutes } from '../api/routes/attachments.ts';
import { knowledgeRoutes } from '../api/routes/knowledge.ts';
import { messagingRoutes } from '../api/routes/messaging.ts';
import { proposedActionRoutes } from '../api/routes/proposed-actions.ts';
import { knowledgeFor } from '../knowledge/setup.ts';
import { userAdminRoutes } from '../api/routes/users-admin.ts';
import { webhookAdminRoutes } from '../api/routes/webhooks-admin.ts';
import { createUrlSigner } from '../api/signed-urls.ts';
import type { Stoppable } from '../platform/stoppable.ts';
import { webAppRoutes } from '../web/app-routes.ts';
import { sessionUser, verifyPassword } from '../web/password-sign-in.ts';
import { authenticateSession } from '../web/session-auth.ts';
import { sessionRoutes } from '../web/session-routes.ts';
import { redisSignInLimiter } from '../web/sign-in-limiter.ts';
import type { RuntimeContext } from './context.ts';
import { readinessOf } from './ops-server.ts';

/** The api role's app, not listening: startApiRole() serves it, tests inject into it. */
export async function buildApiApp(context: RuntimeContext): Promise<FastifyInstance> {
  const { store, redis, env, logger } = context;
  const urlSigner = createUrlSigner(
    env.POSTROOM_URL_SIGNING_KEY ?? (await store.settings.secret('attachment_url_signing_key')),
    env.POSTROOM_ATTACHMENT_URL_TTL_SECONDS,
  );
  const authenticate = storeAuthenticator(store);
  const sessions = authenticateSession(store.webSessions, sessionUser(store));
  // Unset, a single-account install's admins may open it: there is no one else's job to see.
  const dashboardAccounts =
    env.POSTROOM_QUEUE_DASHBOARD_ACCOUNTS ??
    (context.bootstrap.accounts.length === 1 ? context.bootstrap.accounts.map((a) => a.id) : []);
  return buildApp({
    logger,
    urlSigner,
    publicRoutes: [
      signedAttachmentRoutes(store, urlSigner),
      sessionRoutes({
        sessions: store.webSessions,
        verifyPassword: verifyPassword(store),
        userOf: sessionUser(store),
        limiter: redisSignInLimiter(
          redis,
          env.POSTROOM_QUEUE_PREFIX,
          env.POSTROOM_SIGN_IN_MAX_FAILURES,
        ),
        cookieSecurity: env.POSTROOM_SESSION_COOKIE_SECURE,
        ttlMs: env.POSTROOM_SESSION_TTL_HOURS * 3_600_000,
      }),
    ],
    authenticateSession: sessions,
    rootRoutes: [
      webAppRoutes(),
      queueDashboardRoutes({
        queues: QUEUE_NAMES.map((name) => context.queues.queue(name)),
        authenticate,
        authenticateSession: sessions,
        accounts: dashboardAccounts,
      }),
    ],
    metrics: context.metrics,
    authenticate,
    ...readinessOf(context),
    routes: [
      ...messagingRoutes(store, {
        store,
        queues: context.queues,
        redis,
        prefix: env.POSTROOM_QUEUE_PREFIX,
        logger,
      }),
      ...agentApiRoutes({
        store,
        queues: context.queues,
        redis,
        redisUrl: env.REDIS_URL,
        prefix: env.POSTROOM_QUEUE_PREFIX,
        logger,
        urlSigner,
        bootstrap: context.bootstrap,
        outbound: context.outbound.guard,
        secrets: context.secrets,
      }),
      proposedActionRoutes({
        store,
        redis,
        prefix: env.POSTROOM_QUEUE_PREFIX,
        logger,
        bootstrap: context.bootstrap,
        fetch: context.outbound.fetch,
      }),
      adminInboundRoutes(store, {
        credentials: createMailboxCredentials({
          store,
          redis,
          prefix: env.POSTROOM_QUEUE_PREFIX,
          secrets: context.secrets,
          logger,
          bootstrap: () => context.liveConfig.current,
        }),
        redis,
        prefix: env.POSTROOM_QUEUE_PREFIX,
        logger,
      }),
      knowledgeRoutes(store, knowledgeFor(context).index),
      userAdminRoutes(store),
      webhookAdminRoutes({ store, outbound: context.outbound.guard, secrets: context.secrets }),
    ],
  });
}

export async function startApiRole(context: RuntimeContext): Promise<Stoppable[]> {
  const { env, logger } = context;
  const app = await buildApiApp(context);
  await app.listen({ host: env.HOST, port: env.PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  context.endpoints.api = `http://${env.HOST}:${port}`;
  logger.info({ host: env.HOST, port }, `HTTP API listening on ${context.endpoints.api}`);
  // Closing stops accepting connections and waits for in-flight requests.
  return [{ name: 'api', stop: () => app.close() }];
}
