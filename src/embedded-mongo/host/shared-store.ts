// One data directory, one store, any number of Postroom processes. The first
// process to open the directory hosts the store (the SQLite file lock makes it
// the only one) and writes its address into store.lock.json; every other
// process started on the directory connects to that address instead of
// opening a store of its own. A joined process keeps an eye on the host: when
// it stops answering and its lock is gone (it died), one of the joined
// processes takes the directory over on the same port, so every connection
// already pointed at that port simply reconnects. A directory held by a
// process that does not answer (stopped, hung) is never opened a second time:
// after a while the newcomer gives up with DataDirHeldError.
import { mkdir, realpath } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { DataDirLockedError, startEmbeddedMongo, type EmbeddedMongo } from '../index.ts';
import { readStoreLock, removeStoreLock, writeStoreLock, type StoreLock } from './lock-file.ts';
import { runWireCommand } from './wire-client.ts';

export class DataDirHeldError extends Error {
  override readonly name = 'DataDirHeldError';
  constructor(readonly dataDir: string) {
    super(
      `${dataDir} is held by another process that does not answer as its store's host ` +
        '(stopped or hung?); stop that process, or give this one another data directory',
    );
  }
}

export interface SharedStoreOptions {
  dataDir: string;
  /** Where a new host listens; 0 picks a free port. A takeover keeps the old host's port. */
  port: number;
  host?: string;
  synchronous?: 'normal' | 'full';
  logger: Logger;
  /** How often a joined process checks its host (default 1000 ms). */
  watchIntervalMs?: number;
  /** Unanswered checks before a joined process tries to take over (default 3). */
  missesBeforeTakeover?: number;
  /** How long a newcomer waits for a held directory's host to answer (default 15 s). */
  heldTimeoutMs?: number;
}

export interface SharedStore {
  /** The host's address, the same for every process on the directory. */
  uri: string;
  /** Whether this process hosts the store now (it may become host later by a takeover). */
  hosting(): boolean;
  stop(): Promise<void>;
}

const PROBE_TIMEOUT_MS = 1000;
const RETRY_MS = 200;

interface HostInfo {
  pid: number;
  dataDir: string | null;
}

/** The host's own account of itself, or null when nothing sane answers at the address. */
async function askHost(lock: StoreLock): Promise<HostInfo | null> {
  try {
    const reply = await runWireCommand(
      lock.host,
      lock.port,
      { postroomStoreInfo: 1, $db: 'admin' },
      PROBE_TIMEOUT_MS,
    );
    if (reply.ok !== 1) return null;
    return {
      pid: Number(reply.pid),
      dataDir: typeof reply.dataDir === 'string' ? reply.dataDir : null,
    };
  } catch {
    return null;
  }
}

/** The host at the lock's address serves this very directory (not a reused port). */
async function hostServes(lock: StoreLock, dataDir: string): Promise<boolean> {
  const info = await askHost(lock);
  if (!info) return false;
  if (info.dataDir === null) return info.pid === lock.pid;
  return (await realpath(info.dataDir).catch(() => info.dataDir)) === dataDir;
}

export async function openSharedStore(options: SharedStoreOptions): Promise<SharedStore> {
  await mkdir(options.dataDir, { recursive: true });
  const dataDir = await realpath(options.dataDir);
  const bindHost = options.host ?? '127.0.0.1';
  const logger = options.logger;
  const deadline = Date.now() + (options.heldTimeoutMs ?? 15_000);

  const host = async (port: number): Promise<EmbeddedMongo> => {
    const store = await startEmbeddedMongo({
      dataDir,
      port,
      host: bindHost,
      synchronous: options.synchronous,
      logger,
    });
    await writeStoreLock(dataDir, {
      pid: process.pid,
      host: bindHost,
      port: store.port,
      started_at: new Date().toISOString(),
    });
    return store;
  };

  for (;;) {
    try {
      const store = await host(options.port);
      logger.info({ dataDir, uri: store.uri }, 'hosting the embedded store of this data directory');
      return hosted(dataDir, store);
    } catch (error) {
      if (!(error instanceof DataDirLockedError)) throw error;
    }
    const lock = await readStoreLock(dataDir);
    if (lock && (await hostServes(lock, dataDir))) {
      const uri = `mongodb://${lock.host}:${lock.port}/`;
      logger.info(
        { dataDir, uri, host_pid: lock.pid },
        'joined the embedded store hosted by another process on this data directory',
      );
      return joined(dataDir, lock, uri, host, options);
    }
    // Held, but its host is starting (loading its data) or does not answer.
    if (Date.now() > deadline) throw new DataDirHeldError(dataDir);
    await delay(RETRY_MS);
  }
}

function hosted(dataDir: string, store: EmbeddedMongo): SharedStore {
  return {
    uri: store.uri,
    hosting: () => true,
    async stop() {
      await removeStoreLock(dataDir);
      await store.stop();
    },
  };
}

function joined(
  dataDir: string,
  lock: StoreLock,
  uri: string,
  host: (port: number) => Promise<EmbeddedMongo>,
  options: SharedStoreOptions,
): SharedStore {
  const logger = options.logger;
  const missesAllowed = options.missesBeforeTakeover ?? 3;
  let misses = 0;
  let checking = false;
  let stopped = false;
  let own: EmbeddedMongo | undefined;

  const check = async (): Promise<void> => {
    if (await hostServes(lock, dataDir)) {
      misses = 0;
      return;
    }
    if (++misses < missesAllowed) return;
    try {
      // Same port: the connections this process (and every other) holds reconnect to it.
      own = await host(lock.port);
      clearInterval(timer);
      logger.warn(
        { dataDir, uri, previous_host_pid: lock.pid },
        'the host of the embedded store stopped answering and released the data directory: this process hosts it now',
      );
    } catch (error) {
      // Another process took over first (it holds the lock), or the old host
      // is alive but slow: keep watching.
      if (!(error instanceof DataDirLockedError)) {
        logger.error({ err: error, dataDir }, 'could not take over the embedded store');
      }
      misses = 0;
      // The new host's pid, at the same address.
      const fresh = await readStoreLock(dataDir);
      if (fresh && fresh.port === lock.port && fresh.host === lock.host) lock = fresh;
    }
  };

  const timer = setInterval(() => {
    if (checking || stopped || own) return;
    checking = true;
    check()
      .catch((error: unknown) =>
        logger.error({ err: error }, 'checking the embedded store host failed'),
      )
      .finally(() => {
        checking = false;
      });
  }, options.watchIntervalMs ?? 1000);
  timer.unref();

  return {
    uri,
    hosting: () => own !== undefined,
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (checking) await delay(20);
      if (own) {
        await removeStoreLock(dataDir);
        await own.stop();
      }
    },
  };
}
