// The embedded store when MONGODB_URI is unset: the data directory shared by
// every Postroom process on the machine (host or join, embedded-mongo/host/),
// or, when asked for explicitly, a private in-memory store.
import { resolve } from 'node:path';
import { ConfigError } from '../config/config-error.ts';
import type { Env } from '../config/env.ts';
import { startEmbeddedMongo } from '../embedded-mongo/index.ts';
import { DataDirHeldError, openSharedStore } from '../embedded-mongo/host/shared-store.ts';
import type { Logger } from '../platform/logger.ts';

export interface EmbeddedStore {
  /** The database URI for connectStore. */
  uri: string;
  stop(): Promise<void>;
}

/** The database Postroom uses in the embedded store. */
export const EMBEDDED_DATABASE = 'postroom';

export async function openEmbeddedStore(env: Env, logger: Logger): Promise<EmbeddedStore> {
  const log = logger.child({ component: 'embedded-mongo' });
  if (env.POSTROOM_EMBEDDED_STORE === 'memory') {
    const store = await startEmbeddedMongo({ port: env.POSTROOM_EMBEDDED_MONGO_PORT, logger: log });
    logger.warn(
      { uri: store.uri },
      "POSTROOM_EMBEDDED_STORE=memory: the embedded store keeps everything in this process's memory; all data is lost when it stops, and no other process can see it",
    );
    return { uri: `${store.uri}${EMBEDDED_DATABASE}`, stop: () => store.stop() };
  }
  const dataDir = resolve(env.POSTROOM_DATA_DIR);
  try {
    const store = await openSharedStore({
      dataDir,
      port: env.POSTROOM_EMBEDDED_MONGO_PORT,
      synchronous: env.POSTROOM_EMBEDDED_SYNC,
      logger: log,
    });
    logger.info(
      { dataDir, uri: store.uri, hosting: store.hosting() },
      'MONGODB_URI is not set: using the embedded store kept on disk in POSTROOM_DATA_DIR',
    );
    return { uri: `${store.uri}${EMBEDDED_DATABASE}`, stop: () => store.stop() };
  } catch (error) {
    if (error instanceof DataDirHeldError)
      throw new ConfigError('POSTROOM_DATA_DIR', error.message);
    throw error;
  }
}
