// The one place Redis connections are made. BullMQ workers block on Redis and
// must never give up a command (maxRetriesPerRequest: null); producers on the
// API path fail fast instead, so a request does not hang while Redis is away.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { parseRedisTarget } from '../config/redis-target.ts';
import type { Logger } from '../platform/logger.ts';
import { redactUrl } from '../platform/logger.ts';

export type RedisPurpose = 'worker' | 'producer' | 'subscriber' | 'command';

const PURPOSE_OPTIONS: Record<RedisPurpose, RedisOptions> = {
  worker: { maxRetriesPerRequest: null, enableReadyCheck: false },
  subscriber: { maxRetriesPerRequest: null, enableReadyCheck: false },
  // No ready check: with the offline queue off, ioredis sends its INFO check
  // as an ordinary command, and a connection closed between 'connect' and
  // 'ready' (a stop right after a start, Redis going away) rejects it with
  // nobody to catch it. A Redis still LOADING fails the command instead, which
  // callers of a producer handle like any other failure.
  producer: { maxRetriesPerRequest: 2, enableOfflineQueue: false, enableReadyCheck: false },
  // Leases and pub/sub publishing: queue briefly while (re)connecting, then fail.
  command: { maxRetriesPerRequest: 2, enableOfflineQueue: true },
};

// Reconnect quickly at first, then settle at 5 s: Redis restarts are routine
// and a tight loop against a dead server only fills logs.
function retryStrategy(times: number): number {
  return Math.min(100 * 2 ** Math.min(times, 6), 5_000);
}

/**
 * A connection to what REDIS_URL names (config/redis-target.ts): one server, a
 * Sentinel-elected primary (ioredis follows a failover), or a Cluster. A
 * Cluster client is typed as a Redis: it takes the same commands, routes each
 * to its slot's node, and BullMQ accepts it as a connection.
 */
export function createRedis(url: string, purpose: RedisPurpose, logger: Logger): Redis {
  const options: RedisOptions = {
    ...PURPOSE_OPTIONS[purpose],
    retryStrategy,
    // No connectionName and no client info at connect: ioredis waits for those
    // CLIENT commands before it turns `ready` without a ready check, and when
    // the connection closes under them it still turns `ready` afterwards, a
    // closed client that claims to be open. The name is set once ready instead.
    disableClientInfo: true,
    lazyConnect: false,
  };
  const target = parseRedisTarget(url);
  const auth = {
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
  };
  let client: Redis;
  if (target.kind === 'cluster') {
    const { enableOfflineQueue, enableReadyCheck, ...perNode } = options;
    client = new Cluster(target.nodes, {
      redisOptions: { ...perNode, ...auth },
      clusterRetryStrategy: retryStrategy,
      ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
      ...(enableReadyCheck !== undefined ? { enableReadyCheck } : {}),
      lazyConnect: false,
    }) as unknown as Redis;
  } else if (target.kind === 'sentinel') {
    client = new Redis({
      ...options,
      ...auth,
      sentinels: target.sentinels,
      name: target.name,
      db: target.db,
      ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
      ...(target.tls ? { enableTLSForSentinelMode: true } : {}),
    });
  } else {
    client = new Redis(url, options);
  }
  const connectionName = `postroom-${purpose}`;
  let lastError = '';
  client.on('error', (error: Error) => {
    // ioredis repeats the same error on every reconnect attempt: log changes only.
    if (error.message === lastError) return;
    lastError = error.message;
    logger.warn({ err: error, redis: redactUrl(url), purpose }, 'redis connection error');
  });
  client.on('ready', () => {
    if (lastError) logger.info({ purpose }, 'redis connection restored');
    lastError = '';
    // Names the connection in CLIENT LIST; a subscriber in subscribe mode
    // refuses it, which costs nothing.
    client.client('SETNAME', connectionName).catch(() => undefined);
  });
  return client;
}

/**
 * Close a connection for good. disconnect() alone is not enough while the
 * socket is still being set up: ioredis may finish connecting afterwards and
 * sit `ready`, an open connection that keeps the process alive. So wait for
 * the connection to end, disconnecting again should it become ready first.
 */
export async function closeRedis(client: Redis, timeoutMs = 2_000): Promise<void> {
  client.disconnect();
  if (client.status === 'end') return;
  await new Promise<void>((resolve) => {
    const again = (): void => client.disconnect();
    const done = (): void => {
      clearTimeout(timer);
      client.off('ready', again);
      client.off('end', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    client.on('ready', again);
    client.once('end', done);
    // It may have ended between the check above and these listeners.
    if (client.status === 'end') done();
  });
}

/** Whether Redis answers a PING within the given time (for /readyz). */
export async function redisAnswers(client: Redis, timeoutMs = 1_000): Promise<boolean> {
  if (client.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const pong = await Promise.race([
      client.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
