// What a CLI command connects to: the same MONGODB_URI (or embedded store),
// REDIS_URL and queue prefix as the processes it works beside, each opened
// only when the command asks for it and closed when it ends.
import type { Env } from '../config/env.ts';
import type { Logger } from '../platform/logger.ts';
import { createQueues, type Queues } from '../queues/queues.ts';
import { closeRedis, createRedis } from '../queues/redis.ts';
import { redisPublisher, type Publisher } from '../realtime/events.ts';
import { openEmbeddedStore } from '../runtime/embedded-store.ts';
import { connectStore, type Store } from '../store/index.ts';

export interface CliContext {
  env: Env;
  logger: Logger;
  /** Prints a line of the command's result (stdout). */
  out(line?: string): void;
  store(): Promise<Store>;
  queues(): Queues;
  publisher(): Publisher;
  close(): Promise<void>;
}

export function createCliContext(
  env: Env,
  logger: Logger,
  out: (line?: string) => void,
): CliContext {
  const closers: Array<() => Promise<void>> = [];
  let store: Promise<Store> | undefined;
  let queues: Queues | undefined;
  let publisher: Publisher | undefined;
  return {
    env,
    logger,
    out,
    store() {
      store ??= (async () => {
        let uri = env.MONGODB_URI;
        if (!uri) {
          const embedded = await openEmbeddedStore(env, logger);
          closers.push(() => embedded.stop());
          uri = embedded.uri;
        }
        const connected = await connectStore(uri, logger);
        closers.push(() => connected.close());
        return connected;
      })();
      return store;
    },
    queues() {
      if (!queues) {
        const created = createQueues(env.REDIS_URL, env.POSTROOM_QUEUE_PREFIX, logger);
        closers.push(() => created.close());
        queues = created;
      }
      return queues;
    },
    publisher() {
      if (!publisher) {
        const redis = createRedis(env.REDIS_URL, 'command', logger);
        closers.push(() => closeRedis(redis));
        publisher = redisPublisher(redis, env.POSTROOM_QUEUE_PREFIX);
      }
      return publisher;
    },
    async close() {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}
