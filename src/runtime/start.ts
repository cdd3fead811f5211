// Start Postroom: parse the configuration, connect MongoDB (or start the
// embedded store), apply the bootstrap file, connect Redis, start the roles.
// Nothing connects at import time; workers/ entry points call this.
import type { Env } from '../config/env.ts';
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import { changedMailboxes, LiveConfig } from '../config/live-config.ts';
import { loadBootstrap } from '../config/load-bootstrap.ts';
import { checkOperatorKeys } from '../config/operator-keys.ts';
import { createMetrics } from '../platform/metrics.ts';
import { createGuardedFetch } from '../platform/guarded-fetch.ts';
import { redactUrl, type Logger } from '../platform/logger.ts';
import { createAddressGuard } from '../platform/outbound-guard.ts';
import { createSecretBox } from '../platform/secret-box.ts';
import { createQueues } from '../queues/queues.ts';
import { closeRedis, createRedis } from '../queues/redis.ts';
import { applyBootstrap } from '../store/bootstrap.ts';
import { connectStore } from '../store/connect.ts';
import type { RuntimeContext } from './context.ts';
import { startRoles } from './roles.ts';
import { startOpsServer, wireMetricSources } from './ops-server.ts';
import { Shutdown } from './shutdown.ts';
import { openEmbeddedStore } from './embedded-store.ts';
import { applyWebhookBootstrap } from '../webhooks/bootstrap.ts';

export interface Running {
  context: RuntimeContext;
  stop(): Promise<void>;
  /**
   * Read POSTROOM_CONFIG again (SIGHUP): a valid file is applied and replaces
   * the config, and changed mailboxes reconnect; an invalid one is refused
   * (the error names the setting) and the running config stays.
   */
  reload(): Promise<void>;
}

export async function startPostroom(env: Env, logger: Logger): Promise<Running> {
  const shutdown = new Shutdown(logger);
  try {
    const bootstrap: Bootstrap = env.POSTROOM_CONFIG
      ? await loadBootstrap(env.POSTROOM_CONFIG)
      : { accounts: [] };
    if (!env.POSTROOM_CONFIG) {
      logger.warn('POSTROOM_CONFIG is not set: no accounts, mailboxes or API keys are configured');
    }
    // Only where agents run: an API-only process may well not hold the model keys.
    if (env.POSTROOM_ROLES.includes('agent')) checkOperatorKeys(bootstrap, env);

    let mongoUri = env.MONGODB_URI;
    if (!mongoUri) {
      const embedded = await openEmbeddedStore(env, logger);
      shutdown.add('embedded-mongo', () => embedded.stop());
      mongoUri = embedded.uri;
    } else {
      logger.info({ uri: redactUrl(mongoUri) }, 'connecting to MongoDB');
    }
    const store = await connectStore(mongoUri, logger.child({ component: 'store' }));
    shutdown.add('store', () => store.close());
    await applyBootstrap(store, bootstrap, logger.child({ component: 'bootstrap' }));

    const redis = createRedis(env.REDIS_URL, 'command', logger);
    shutdown.add('redis', () => closeRedis(redis));
    const queues = createQueues(env.REDIS_URL, env.POSTROOM_QUEUE_PREFIX, logger);
    shutdown.add('queues', () => queues.close());
    const guard = createAddressGuard(env.POSTROOM_OUTBOUND_ALLOW);
    const guarded = createGuardedFetch(guard);
    shutdown.add('outbound', async () => guarded.close());
    // As the URL signing key: unset, a random key created once in MongoDB.
    const secrets = createSecretBox(
      env.POSTROOM_SECRET_KEY ?? (await store.settings.secret('provider_key_secret')),
    );
    await applyWebhookBootstrap(
      { store, secrets, guard, logger: logger.child({ component: 'bootstrap' }) },
      bootstrap,
    );

    const context: RuntimeContext = {
      env,
      bootstrap,
      liveConfig: new LiveConfig(bootstrap),
      logger,
      store,
      queues,
      redis,
      metrics: createMetrics(),
      outbound: { guard, fetch: guarded.fetch },
      secrets,
      endpoints: {},
    };
    // The one place things are registered to stop: the connections above, then
    // what each role returns (runtime/roles.ts); the last registered stops first.
    wireMetricSources(context);
    // Without the api role, /metrics, /healthz and /readyz get a port of their own.
    if (!env.POSTROOM_ROLES.includes('api'))
      for (const part of await startOpsServer(context)) shutdown.add(part.name, part.stop);
    await startRoles(env.POSTROOM_ROLES, context, (part) => shutdown.add(part.name, part.stop));
    logger.info({ roles: env.POSTROOM_ROLES }, 'postroom started');
    const configPath = env.POSTROOM_CONFIG;
    return {
      context,
      stop: () => shutdown.run(env.POSTROOM_SHUTDOWN_GRACE_MS),
      async reload() {
        if (!configPath) {
          logger.warn('SIGHUP: POSTROOM_CONFIG is not set, nothing to reload');
          return;
        }
        const next = await loadBootstrap(configPath);
        await applyBootstrap(store, next, logger.child({ component: 'bootstrap' }));
        const changed = changedMailboxes(next, context.liveConfig.current);
        context.liveConfig.replace(next);
        logger.info(
          { changed_mailboxes: changed.map(([account, mailbox]) => `${account}/${mailbox}`) },
          'configuration reloaded',
        );
      },
    };
  } catch (error) {
    await shutdown.run(env.POSTROOM_SHUTDOWN_GRACE_MS);
    throw error;
  }
}
