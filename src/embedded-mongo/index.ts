// The embedded MongoDB-compatible store: a wire-protocol server on localhost
// that the real mongodb driver and mongoose talk to when MONGODB_URI is unset.
// With a data directory its data is durable (SQLite beneath, persistence/);
// without one it lives in memory only.
import type { Logger } from 'pino';
import { CursorRegistry } from './cursors.ts';
import type { StoreInfo } from './persistence/journal.ts';
import { SqlitePersistence, type SynchronousMode } from './persistence/sqlite-store.ts';
import { createWireServer } from './server.ts';
import { Store } from './store.ts';
import { startTtlMonitor } from './ttl.ts';

export { DataDirLockedError } from './persistence/sqlite-store.ts';

export interface EmbeddedMongo {
  uri: string;
  port: number;
  /** Which engine holds the data, where, and in which process. */
  info(): StoreInfo;
  /**
   * Writes a consistent copy of the store into `destDir` (created; it must not
   * already hold a store) while commands keep running; returns the file written.
   * Restore: stop the store, replace the data directory by the backup, start it.
   */
  backup(destDir: string): Promise<string>;
  stop(): Promise<void>;
}

export interface EmbeddedMongoOptions {
  /**
   * Where the data is kept (`<dataDir>/store.sqlite`, created if missing).
   * Unset: in memory only, lost when the process stops.
   */
  dataDir?: string;
  /**
   * 'normal' (the default): a committed write survives the process being
   * killed; 'full' also survives a power loss (an fsync per command).
   */
  synchronous?: SynchronousMode;
  /**
   * With a data directory: top-level fields larger than this many BSON bytes
   * that no index reads stay on disk (default LAZY_FIELD_BYTES). Tests set 0
   * to leave every unindexed field on disk.
   */
  lazyFieldBytes?: number;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  logger?: Logger;
  /** How often expired TTL documents are removed (default 1000 ms). */
  ttlIntervalMs?: number;
  /** Idle cursors are dropped after this long (default 10 minutes, as mongod). */
  cursorTimeoutMs?: number;
}

export async function startEmbeddedMongo(
  options: EmbeddedMongoOptions = {},
): Promise<EmbeddedMongo> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger;
  const opened = Date.now();
  // Open (and lock) the data directory before listening: a refused directory
  // (DataDirLockedError) leaves no server behind.
  const persistence = options.dataDir
    ? SqlitePersistence.open(options.dataDir, options.synchronous, options.lazyFieldBytes)
    : undefined;
  const store = new Store(persistence);
  let loaded: { collections: number; documents: number } | undefined;
  try {
    loaded = persistence?.loadInto(store);
  } catch (error) {
    persistence?.close();
    throw error;
  }
  const cursors = new CursorRegistry(options.cursorTimeoutMs ?? 10 * 60_000);
  const { server, sockets } = createWireServer({ store, cursors, logger });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    cursors.close();
    persistence?.close();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const stopTtl = startTtlMonitor(store, options.ttlIntervalMs ?? 1000);
  const uri = `mongodb://${host}:${port}/`;
  if (persistence) {
    logger?.info(
      {
        uri,
        dataDir: persistence.dataDir,
        synchronous: options.synchronous ?? 'normal',
        ...loaded,
        openMs: Date.now() - opened,
      },
      'embedded MongoDB-compatible store started: data is kept on disk (SQLite) in the data directory',
    );
  } else {
    logger?.warn(
      { uri },
      'embedded MongoDB-compatible store started: data is kept IN MEMORY ONLY and is lost when the process stops (set a data directory, or MONGODB_URI to use a real MongoDB)',
    );
  }
  let stopped: Promise<void> | undefined;
  return {
    uri,
    port,
    info: () => store.info(),
    async backup(destDir) {
      if (!persistence) {
        throw new Error(
          'this embedded store keeps its data in memory only: there is nothing on disk to back up',
        );
      }
      return persistence.backup(destDir);
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        stopTtl();
        cursors.close();
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          // Every command has committed; closing checkpoints the WAL into the file and frees the lock.
          persistence?.close();
          resolve();
        });
      });
      return stopped;
    },
  };
}
