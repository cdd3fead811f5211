// Database and collection management: create, drop, dropDatabase,
// listCollections, listDatabases and the stats commands drivers probe.
import { Binary } from '../bson.ts';
import { badValue, notSupported } from '../errors.ts';
import { ID_INDEX, type Collection } from '../collection.ts';
import { Matcher } from '../query.ts';
import type { Doc } from '../values.ts';
import { collectionName, optionalDoc, type CommandContext, type Handler } from './context.ts';

const CREATE_OPTIONS = new Set([
  'create',
  '$db',
  'lsid',
  'writeConcern',
  'comment',
  '$readPreference',
  'txnNumber',
]);

function create(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'create');
  for (const option of Object.keys(cmd)) {
    if (!CREATE_OPTIONS.has(option)) throw notSupported(`create option '${option}'`);
  }
  ctx.store.create(ctx.db, name);
  return { ok: 1 };
}

function drop(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'drop');
  const dropped = ctx.store.drop(ctx.db, name);
  if (!dropped) return { ok: 1 };
  return { nIndexesWas: dropped.specs().length, ns: dropped.ns, ok: 1 };
}

function collectionInfo(coll: Collection): Doc {
  const uuid = Buffer.from(coll.uuid.replace(/-/g, ''), 'hex');
  return {
    name: coll.name,
    type: 'collection',
    options: {},
    info: { readOnly: false, uuid: new Binary(uuid, Binary.SUBTYPE_UUID) },
    idIndex: ID_INDEX,
  };
}

function listCollections(cmd: Doc, ctx: CommandContext): Doc {
  const filter = optionalDoc(cmd, 'filter');
  const matcher = filter ? new Matcher(filter) : undefined;
  const nameOnly = cmd.nameOnly === true;
  const infos = ctx.store
    .collections(ctx.db)
    .map(collectionInfo)
    .filter((info) => !matcher || matcher.test(info))
    .map((info) => (nameOnly ? { name: info.name, type: info.type } : info));
  const batchSize = (optionalDoc(cmd, 'cursor') ?? {}).batchSize;
  return ctx.cursors.open(`${ctx.db}.$cmd.listCollections`, infos, {
    batchSize: typeof batchSize === 'number' ? batchSize : Number.MAX_SAFE_INTEGER,
  });
}

function sizeOfDb(ctx: CommandContext, db: string): number {
  return ctx.store.collections(db).reduce((n, c) => n + c.docs.size * 256, 0);
}

function listDatabases(cmd: Doc, ctx: CommandContext): Doc {
  if (ctx.db !== 'admin')
    throw badValue('listDatabases may only be run against the admin database.');
  const filter = optionalDoc(cmd, 'filter');
  const matcher = filter ? new Matcher(filter) : undefined;
  const databases = ctx.store
    .databases()
    .map((name) => ({ name, sizeOnDisk: sizeOfDb(ctx, name), empty: false }))
    .filter((info) => !matcher || matcher.test(info));
  if (cmd.nameOnly === true) return { databases: databases.map(({ name }) => ({ name })), ok: 1 };
  return {
    databases,
    totalSize: databases.reduce((n, d) => n + d.sizeOnDisk, 0),
    totalSizeMb: 0,
    ok: 1,
  };
}

function dbStats(_cmd: Doc, ctx: CommandContext): Doc {
  const colls = ctx.store.collections(ctx.db);
  const objects = colls.reduce((n, c) => n + c.docs.size, 0);
  return {
    db: ctx.db,
    collections: colls.length,
    views: 0,
    objects,
    dataSize: objects * 256,
    storageSize: objects * 256,
    indexes: colls.reduce((n, c) => n + c.specs().length, 0),
    ok: 1,
  };
}

export const adminCommands: Record<string, Handler> = {
  create,
  drop,
  dropDatabase: (_cmd, ctx) => {
    ctx.store.dropDatabase(ctx.db);
    return { dropped: ctx.db, ok: 1 };
  },
  listCollections,
  listDatabases,
  dbStats,
};
