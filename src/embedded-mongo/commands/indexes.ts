// createIndexes, listIndexes and dropIndexes with mongod's conflict rules:
// an identical spec is a no-op, the same name with another key is 86, the
// same key under another name or with other options is 85.
import { MongoError, badValue } from '../errors.ts';
import { formatDoc } from '../format.ts';
import {
  defaultIndexName,
  sameKey,
  sameOptions,
  validateIndexSpec,
  type IndexSpec,
} from '../indexes.ts';
import { isPlainObject, keyOf, type Doc } from '../values.ts';
import { collectionName, type CommandContext, type Handler } from './context.ts';

function specDoc(spec: IndexSpec): Doc {
  return { ...spec };
}

function createIndexes(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'createIndexes');
  if (!Array.isArray(cmd.indexes) || cmd.indexes.length === 0) {
    throw badValue('Must specify at least one index to create');
  }
  const requested = cmd.indexes.map((raw: unknown) => {
    const withName =
      isPlainObject(raw) && raw.name === undefined && isPlainObject(raw.key)
        ? { ...raw, name: defaultIndexName(raw.key) }
        : raw;
    return validateIndexSpec(withName);
  });
  const created = ctx.store.get(ctx.db, name) === undefined;
  const coll = ctx.store.ensure(ctx.db, name);
  const before = coll.specs().length;
  const toAdd: IndexSpec[] = [];
  for (const spec of requested) {
    const existing = [...coll.specs(), ...toAdd];
    const byName = existing.find((e) => e.name === spec.name);
    if (byName) {
      if (!sameKey(byName, spec)) {
        throw new MongoError(
          86,
          `An existing index has the same name as the requested index. When index names are not explicitly specified, they are auto generated and can become too long. Requested index: ${formatDoc(specDoc(spec))}, existing index: ${formatDoc(specDoc(byName))}`,
        );
      }
      if (!sameOptions(byName, spec)) {
        throw new MongoError(
          85,
          `An equivalent index already exists with the same name but different options. Requested index: ${formatDoc(specDoc(spec))}, existing index: ${formatDoc(specDoc(byName))}`,
        );
      }
      continue;
    }
    const byKey = existing.find(
      (e) =>
        sameKey(e, spec) &&
        keyOf(e.partialFilterExpression ?? null) === keyOf(spec.partialFilterExpression ?? null),
    );
    if (byKey) {
      throw new MongoError(
        85,
        sameOptions(byKey, spec)
          ? `Index already exists with a different name: ${byKey.name}`
          : `An existing index has the same key pattern but different options. Requested index: ${formatDoc(specDoc(spec))}, existing index: ${formatDoc(specDoc(byKey))}`,
      );
    }
    toAdd.push(spec);
  }
  for (const spec of toAdd) coll.addIndex(spec);
  const reply: Doc = {
    numIndexesBefore: before,
    numIndexesAfter: coll.specs().length,
    createdCollectionAutomatically: created,
    ok: 1,
  };
  if (toAdd.length === 0) reply.note = 'all indexes already exist';
  return reply;
}

function listIndexes(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'listIndexes');
  const coll = ctx.store.get(ctx.db, name);
  if (!coll) throw new MongoError(26, `ns does not exist: ${ctx.db}.${name}`);
  const cursor = cmd.cursor as Doc | undefined;
  const batchSize =
    typeof cursor?.batchSize === 'number' ? cursor.batchSize : Number.MAX_SAFE_INTEGER;
  return ctx.cursors.open(coll.ns, coll.specs().map(specDoc), { batchSize });
}

function dropIndexes(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'dropIndexes');
  const coll = ctx.store.get(ctx.db, name);
  if (!coll) throw new MongoError(26, `ns not found ${ctx.db}.${name}`);
  const was = coll.specs().length;
  const target = cmd.index;
  if (target === '*') {
    coll.dropIndexes(coll.indexes.map((_, at) => at));
    return { nIndexesWas: was, msg: 'non-_id indexes dropped for collection', ok: 1 };
  }
  const names = Array.isArray(target) ? target : [target];
  const positions = names.map((t) => {
    if (t === '_id_' || (isPlainObject(t) && keyOf(t) === keyOf({ _id: 1 }))) {
      throw new MongoError(72, 'cannot drop _id index');
    }
    const at = coll.indexes.findIndex((i) =>
      isPlainObject(t) ? keyOf(i.spec.key) === keyOf(t) : i.spec.name === t,
    );
    if (at < 0) {
      throw new MongoError(
        27,
        isPlainObject(t)
          ? `can't find index with key: ${formatDoc(t)}`
          : `index not found with name [${String(t)}]`,
      );
    }
    return at;
  });
  coll.dropIndexes(positions);
  return { nIndexesWas: was, ok: 1 };
}

export const indexCommands: Record<string, Handler> = {
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: (cmd, ctx) => dropIndexes({ ...cmd, dropIndexes: cmd.deleteIndexes }, ctx),
};
