// Operator tasks on a data directory, whether or not Postroom is running on
// it: reach its store (the running host's, else one opened for the task),
// then take a consistent backup, or copy everything into a real MongoDB.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import mongoose from 'mongoose';
import type { Logger } from 'pino';
import { openSharedStore, type SharedStore } from './shared-store.ts';
import { runWireCommand } from './wire-client.ts';

/** How long a backup of a large store may take before the request is abandoned. */
const BACKUP_TIMEOUT_MS = 30 * 60_000;

async function withStore<T>(
  dataDir: string,
  logger: Logger,
  task: (store: SharedStore) => Promise<T>,
): Promise<T> {
  const store = await openSharedStore({ dataDir, port: 0, logger });
  try {
    return await task(store);
  } finally {
    await store.stop();
  }
}

/**
 * A consistent copy of the data directory's store in `destination`, itself a
 * data directory, made by the store's host while writes go on.
 */
export async function backupDataDir(
  dataDir: string,
  destination: string,
  logger: Logger,
): Promise<{ destination: string; bytes: number }> {
  const target = resolve(destination);
  await mkdir(target, { recursive: true });
  if ((await readdir(target)).length > 0) {
    throw new Error(`${target} is not empty: a backup goes into a new or empty folder`);
  }
  return withStore(resolve(dataDir), logger, async (store) => {
    const { hostname, port } = new URL(store.uri);
    const reply = await runWireCommand(
      hostname,
      Number(port),
      { postroomBackup: 1, to: target, $db: 'admin' },
      BACKUP_TIMEOUT_MS,
    );
    if (reply.ok !== 1) throw new Error(`the store refused the backup: ${String(reply.errmsg)}`);
    const file = typeof reply.file === 'string' ? reply.file : resolve(target, 'store.sqlite');
    return { destination: target, bytes: (await stat(file)).size };
  });
}

export interface CopyReport {
  collections: number;
  documents: number;
  indexes: number;
}

/**
 * Every collection of `database` in the data directory's store, documents
 * byte for byte (numbers keep their BSON types) and secondary indexes, into
 * the database of `targetUri`, which must hold no collection yet.
 */
export async function copyDataDirTo(
  dataDir: string,
  database: string,
  targetUri: string,
  logger: Logger,
): Promise<CopyReport> {
  return withStore(resolve(dataDir), logger, async (store) => {
    const source = new mongoose.mongo.MongoClient(store.uri, { directConnection: true });
    const target = new mongoose.mongo.MongoClient(targetUri);
    try {
      await Promise.all([source.connect(), target.connect()]);
      const from = source.db(database);
      const to = target.db();
      const existing = await to.listCollections({}, { nameOnly: true }).toArray();
      if (existing.length > 0) {
        throw new Error(
          `the target database ${to.databaseName} already holds ${existing.length} collection(s): copy into an empty one`,
        );
      }
      const report: CopyReport = { collections: 0, documents: 0, indexes: 0 };
      for (const info of await from.listCollections({ type: 'collection' }).toArray()) {
        const name = info.name;
        await to.createCollection(name);
        const cursor = from
          .collection(name)
          .find({}, { promoteValues: false, promoteLongs: false, batchSize: 500 });
        let batch: mongoose.mongo.Document[] = [];
        for await (const doc of cursor) {
          batch.push(doc);
          if (batch.length === 500) {
            await to.collection(name).insertMany(batch, { ordered: true });
            report.documents += batch.length;
            batch = [];
          }
        }
        if (batch.length > 0) {
          await to.collection(name).insertMany(batch, { ordered: true });
          report.documents += batch.length;
        }
        const indexes = (await from.collection(name).listIndexes().toArray()).filter(
          (index) => index.name !== '_id_',
        );
        if (indexes.length > 0) {
          await to
            .collection(name)
            .createIndexes(
              indexes.map(({ v: _v, ns: _ns, ...spec }) => spec as mongoose.mongo.IndexDescription),
            );
        }
        report.indexes += indexes.length;
        report.collections++;
        logger.info({ collection: name }, 'copied');
      }
      return report;
    } finally {
      await Promise.allSettled([source.close(), target.close()]);
    }
  });
}
