// find, getMore, killCursors, count and distinct.
import { Long } from '../bson.ts';
import { valuesAtPath, sortDocuments } from '../bson-order.ts';
import { MongoError, badValue, notSupported } from '../errors.ts';
import { hydrate, pathReadsBody, sortReadsBody } from '../lazy-bodies.ts';
import { evaluateLet } from '../pipeline-update.ts';
import { compileProjection } from '../projection.ts';
import { Matcher, parseSort } from '../query.ts';
import { isNumeric, keyOf, toNumber, type Doc } from '../values.ts';
import {
  collectionName,
  optionalDoc,
  optionalNumber,
  rejectCollation,
  type CommandContext,
  type Handler,
} from './context.ts';

const UNSUPPORTED_FIND_OPTIONS = [
  'tailable',
  'awaitData',
  'min',
  'max',
  'returnKey',
  'showRecordId',
  'oplogReplay',
];

/** Filter, sort, skip and limit over one collection; the shared core of find, count and delete. */
export function select(
  ctx: CommandContext,
  collection: string,
  filter: Doc | undefined,
  opts: { sort?: unknown; skip?: number; limit?: number; variables?: Doc } = {},
): Doc[] {
  const matcher = new Matcher(filter ?? {}, opts.variables);
  const sort = parseSort(opts.sort);
  const coll = ctx.store.get(ctx.db, collection);
  if (!coll) return [];
  let docs = coll.find(matcher);
  if (sort.length > 0) {
    // Sorting by a field a skeleton left on disk compares the full documents.
    if (sortReadsBody(sort, coll.lazyFields)) docs = docs.map(hydrate);
    docs = sortDocuments(docs, sort);
  }
  const skip = opts.skip ?? 0;
  if (skip < 0) throw badValue('skip value must be non-negative');
  const limit = opts.limit ?? 0;
  if (skip > 0 || limit > 0) docs = docs.slice(skip, limit > 0 ? skip + limit : undefined);
  return docs;
}

function find(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'find');
  for (const option of UNSUPPORTED_FIND_OPTIONS) {
    if (cmd[option] !== undefined && cmd[option] !== false)
      throw notSupported(`find option '${option}'`);
  }
  rejectCollation(cmd);
  const filter = optionalDoc(cmd, 'filter') ?? {};
  let limit = optionalNumber(cmd, 'limit') ?? 0;
  let singleBatch = cmd.singleBatch === true;
  if (limit < 0) {
    limit = -limit;
    singleBatch = true;
  }
  const docs = select(ctx, name, filter, {
    sort: cmd.sort,
    skip: optionalNumber(cmd, 'skip'),
    limit,
    variables: evaluateLet(cmd.let),
  });
  const transform = compileProjection(cmd.projection, filter);
  let batchSize = optionalNumber(cmd, 'batchSize');
  if (batchSize !== undefined && batchSize < 0)
    throw badValue('BatchSize value must be non-negative');
  if (singleBatch && batchSize === undefined)
    batchSize = limit > 0 ? limit : Number.MAX_SAFE_INTEGER;
  return ctx.cursors.open(`${ctx.db}.${name}`, docs, { batchSize, singleBatch, transform });
}

function getMore(cmd: Doc, ctx: CommandContext): Doc {
  const id = cmd.getMore;
  if (!(id instanceof Long) && !isNumeric(id))
    throw new MongoError(14, 'getMore cursor id must be a long');
  const collection = cmd.collection;
  if (typeof collection !== 'string')
    throw new MongoError(14, "Field 'collection' must be a string");
  const longId = id instanceof Long ? id : Long.fromNumber(toNumber(id));
  return ctx.cursors.getMore(longId, `${ctx.db}.${collection}`, optionalNumber(cmd, 'batchSize'));
}

function killCursors(cmd: Doc, ctx: CommandContext): Doc {
  collectionName(cmd, 'killCursors');
  if (!Array.isArray(cmd.cursors)) throw badValue("Field 'cursors' must be an array");
  return ctx.cursors.kill(
    cmd.cursors.map((c) => (c instanceof Long ? c : Long.fromNumber(toNumber(c)))),
  );
}

function count(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'count');
  rejectCollation(cmd);
  const limit = Math.abs(optionalNumber(cmd, 'limit') ?? 0);
  const docs = select(ctx, name, optionalDoc(cmd, 'query'), {
    skip: optionalNumber(cmd, 'skip'),
    limit,
  });
  return { n: docs.length, ok: 1 };
}

function distinct(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'distinct');
  rejectCollation(cmd);
  const key = cmd.key;
  if (typeof key !== 'string') throw new MongoError(14, "Field 'key' must be a string");
  const seen = new Map<string, unknown>();
  const full = pathReadsBody(key, ctx.store.get(ctx.db, name)?.lazyFields ?? new Set());
  for (const doc of select(ctx, name, optionalDoc(cmd, 'query'))) {
    for (const v of valuesAtPath(full ? hydrate(doc) : doc, key)) {
      for (const item of Array.isArray(v) ? v : [v])
        if (!seen.has(keyOf(item))) seen.set(keyOf(item), item);
    }
  }
  return { values: [...seen.values()], ok: 1 };
}

export const readCommands: Record<string, Handler> = {
  find,
  getMore,
  killCursors,
  count,
  distinct,
};
