// Connect to MongoDB and bind the models and repositories to that connection.
// Each call makes its own connection (never the global mongoose), so tests and
// tools can hold several stores. Nothing here runs at import time.
import mongoose, { type Connection } from 'mongoose';
import { redactUrl, type Logger } from '../platform/logger.ts';
import { StoreConnectError } from './errors.ts';
import { RETIRED_INDEXES } from './index-names.ts';
import { createModels, type Models } from './models/index.ts';
import { createRepositories, type Repositories } from './repositories/index.ts';
import { createFilesRepository, type FilesRepository } from './repositories/files.ts';

export interface Store extends Repositories {
  /** GridFS: raw sources and attachments, streamed. */
  files: FilesRepository;
  /**
   * Create every index the schemas declare (idempotent), after dropping the
   * few that earlier versions created and that now stand in the way
   * (RETIRED_INDEXES); never drops another.
   */
  ensureIndexes(): Promise<void>;
  /** For /readyz: the server answers a ping. Never throws. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Default true: the dedupe and sequence guarantees rest on unique indexes. */
  ensureIndexes?: boolean;
  /** How long to wait for a server before an operation fails. Default 5 s. */
  serverSelectionTimeoutMS?: number;
}

// The store's internals (models, connection) for code inside src/store only
// (bootstrap, test helpers): the public Store type carries no mongoose types.
const internals = new WeakMap<Store, { connection: Connection; models: Models }>();

export function internalsOf(store: Store): { connection: Connection; models: Models } {
  const found = internals.get(store);
  if (!found) throw new Error('not a store created by connectStore()');
  return found;
}

export async function connectStore(
  uri: string,
  logger: Logger,
  options: ConnectOptions = {},
): Promise<Store> {
  const where = redactUrl(uri);
  let connection: Connection | undefined;
  try {
    connection = mongoose.createConnection(uri, {
      // Indexes are built by ensureIndexes(), once, in order and awaited, not
      // lazily in the background where a failure goes unnoticed.
      autoIndex: false,
      autoCreate: false,
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5_000,
    });
    await connection.asPromise();
  } catch (error) {
    await connection?.close().catch(() => undefined);
    throw new StoreConnectError(
      `cannot connect to MongoDB at ${where}: ${scrubCredentials(errorMessage(error), uri)}`,
    );
  }
  let closing = false;
  connection.on('disconnected', () => {
    if (!closing) logger.warn({ uri: where }, 'MongoDB disconnected');
  });
  connection.on('reconnected', () => logger.info({ uri: where }, 'MongoDB reconnected'));

  const models = createModels(connection);
  const store: Store = {
    ...createRepositories(models),
    files: createFilesRepository(connection),
    async ensureIndexes() {
      await dropRetiredIndexes(connection, logger);
      for (const model of Object.values(models)) await model.createIndexes();
    },
    async ping() {
      try {
        const db = connection.db;
        if (!db) return false;
        const answer = await db.command({ ping: 1 });
        return answer.ok === 1;
      } catch {
        return false;
      }
    },
    async close() {
      closing = true;
      await connection.close();
    },
  };
  internals.set(store, { connection, models });

  if (options.ensureIndexes ?? true) {
    try {
      await store.ensureIndexes();
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw new StoreConnectError(
        `cannot create indexes on ${where}: ${scrubCredentials(errorMessage(error), uri)}`,
      );
    }
  }
  logger.info({ uri: where, database: connection.name }, 'connected to MongoDB');
  return store;
}

async function dropRetiredIndexes(connection: Connection, logger: Logger): Promise<void> {
  const db = connection.db;
  if (!db) return;
  for (const { collection, name } of RETIRED_INDEXES) {
    const exists = await db
      .collection(collection)
      .indexExists(name)
      .catch((error: unknown) => {
        // 26 NamespaceNotFound: no such collection yet (a new database), nothing to drop.
        if ((error as { code?: unknown }).code === 26) return false;
        throw error;
      });
    if (!exists) continue;
    await db.collection(collection).dropIndex(name);
    logger.warn({ collection, index: name }, 'dropped an index an earlier version created');
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An error's message with the URI's credentials cut out, should the driver quote them. */
export function scrubCredentials(message: string, uri: string): string {
  // user:password@ in the URI (also multi-host URIs, which URL cannot parse).
  const userinfo = /^[a-z+]+:\/\/([^@/]*)@/i.exec(uri)?.[1];
  let out = message;
  if (userinfo) {
    const [user = '', password = ''] = userinfo.split(':');
    for (const secret of [userinfo, password, safeDecode(password), user]) {
      if (secret) out = out.split(secret).join('***');
    }
  }
  // Any other connection string quoted in the message.
  return out.replace(/(mongodb(?:\+srv)?:\/\/)[^@\s/]*@/gi, '$1***@');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
