// The embedded MongoDB-compatible store: a wire-protocol server on localhost
// that the real mongodb driver and mongoose talk to when MONGODB_URI is unset.
// Data lives in memory only.
import type { Logger } from 'pino';
import { CursorRegistry } from './cursors.ts';
import { createWireServer } from './server.ts';
import { Store } from './store.ts';
import { startTtlMonitor } from './ttl.ts';

export interface EmbeddedMongo {
  uri: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedMongoOptions {
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
  const store = new Store();
  const cursors = new CursorRegistry(options.cursorTimeoutMs ?? 10 * 60_000);
  const { server, sockets } = createWireServer({ store, cursors, logger });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const stopTtl = startTtlMonitor(store, options.ttlIntervalMs ?? 1000);
  const uri = `mongodb://${host}:${port}/`;
  logger?.warn(
    { uri },
    'embedded MongoDB-compatible store started: data is kept IN MEMORY ONLY and is lost when the process stops (set MONGODB_URI to use a real MongoDB)',
  );
  let stopped: Promise<void> | undefined;
  return {
    uri,
    port,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        stopTtl();
        cursors.close();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return stopped;
    },
  };
}
