// insert, update and delete. Each statement runs synchronously against the
// in-memory state, so each document write is atomic; per-statement failures
// become writeErrors (ordered batches stop at the first one).
import type { Collection } from '../collection.ts';
import { MongoError, badValue } from '../errors.ts';
import { hydrate } from '../lazy-bodies.ts';
import { evaluateLet } from '../pipeline-update.ts';
import { Matcher } from '../query.ts';
import { UpdateSpec, checkIdForStorage } from '../update.ts';
import { isPlainObject, sameBson, toNumber, type Doc } from '../values.ts';
import { collectionName, rejectCollation, type CommandContext, type Handler } from './context.ts';
import { select } from './read.ts';

interface BatchResult {
  n: number;
  writeErrors: Doc[];
}

/** Runs each statement; `run` returns how many documents it counts towards `n`. */
function runBatch<T>(
  items: unknown,
  ordered: boolean,
  field: string,
  run: (item: T, index: number) => number,
): BatchResult {
  if (!Array.isArray(items)) throw badValue(`Field '${field}' must be an array`);
  const result: BatchResult = { n: 0, writeErrors: [] };
  for (let index = 0; index < items.length; index++) {
    try {
      result.n += run(items[index] as T, index);
    } catch (error) {
      if (!(error instanceof MongoError)) throw error;
      result.writeErrors.push({ index, code: error.code, errmsg: error.message, ...error.extra });
      if (ordered) break;
    }
  }
  return result;
}

function reply(result: BatchResult, extra: Doc = {}): Doc {
  const out: Doc = { n: result.n, ...extra };
  if (result.writeErrors.length > 0) out.writeErrors = result.writeErrors;
  out.ok = 1;
  return out;
}

function insert(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'insert');
  const coll = ctx.store.ensure(ctx.db, name);
  const result = runBatch<Doc>(cmd.documents, cmd.ordered !== false, 'documents', (doc) => {
    if (!isPlainObject(doc)) throw badValue('document to insert must be an object');
    checkIdForStorage(doc._id);
    coll.insert(doc);
    return 1;
  });
  return reply(result);
}

export interface UpdateOutcome {
  matched: number;
  modified: number;
  upsertedId?: unknown;
  before?: Doc;
  after?: Doc;
}

/** Applies one update statement; shared by the update command and findAndModify. */
export function updateDocuments(
  coll: Collection,
  filter: Doc,
  spec: UpdateSpec,
  opts: { multi: boolean; upsert: boolean; targets?: Doc[]; variables?: Doc },
): UpdateOutcome {
  const targets = opts.targets ?? coll.find(new Matcher(filter, opts.variables));
  const outcome: UpdateOutcome = { matched: 0, modified: 0 };
  for (const stored of opts.multi ? targets : targets.slice(0, 1)) {
    const doc = hydrate(stored);
    const next = spec.apply(doc);
    outcome.matched++;
    outcome.before = doc;
    outcome.after = doc;
    if (sameBson(doc, next)) continue;
    coll.replace(stored, next);
    outcome.after = next;
    outcome.modified++;
  }
  if (outcome.matched === 0 && opts.upsert) {
    const inserted = coll.insert(spec.upsertDocument());
    outcome.upsertedId = inserted._id;
    outcome.after = inserted;
  }
  return outcome;
}

/**
 * The fields of an update statement at the wire version the store reports
 * (MongoDB 7.0); `sort` arrived with 8.0, and 7.0 refuses it like any unknown field.
 */
const UPDATE_STATEMENT_FIELDS = new Set([
  'q',
  'u',
  'c',
  'arrayFilters',
  'multi',
  'upsert',
  'upsertSupplied',
  'collation',
  'hint',
  'sampleId',
  'allowShardKeyUpdatesWithoutFullShardKeyInQuery',
]);

function checkStatementFields(stmt: Doc): void {
  for (const field of Object.keys(stmt)) {
    if (!UPDATE_STATEMENT_FIELDS.has(field))
      throw new MongoError(40415, `BSON field 'update.updates.${field}' is an unknown field.`);
  }
}

/** The variables of one statement: the command's `let`, then the statement's constants `c`. */
function statementVariables(commandLet: Doc | undefined, stmt: Doc): Doc | undefined {
  const constants = evaluateLet(stmt.c);
  if (!constants) return commandLet;
  return { ...commandLet, ...constants };
}

function update(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'update');
  // mongod parses the whole command before running any statement: an unknown
  // field fails the command, not one statement.
  if (Array.isArray(cmd.updates))
    for (const stmt of cmd.updates as unknown[])
      if (isPlainObject(stmt)) checkStatementFields(stmt);
  const commandLet = evaluateLet(cmd.let);
  const coll = ctx.store.ensure(ctx.db, name);
  let modified = 0;
  const upserted: Doc[] = [];
  const result = runBatch<Doc>(cmd.updates, cmd.ordered !== false, 'updates', (stmt, index) => {
    if (!isPlainObject(stmt)) throw badValue('update statement must be an object');
    rejectCollation(stmt);
    const filter = (stmt.q ?? {}) as Doc;
    const variables = statementVariables(commandLet, stmt);
    const spec = new UpdateSpec(filter, stmt.u, stmt.arrayFilters, variables);
    const multi = stmt.multi === true;
    if (multi && spec.isReplacement)
      throw new MongoError(9, 'multi update is not supported for replacement-style update');
    const outcome = updateDocuments(coll, filter, spec, {
      multi,
      upsert: stmt.upsert === true,
      variables,
    });
    modified += outcome.modified;
    if (outcome.upsertedId === undefined) return outcome.matched;
    upserted.push({ index, _id: outcome.upsertedId });
    return 1;
  });
  return reply(
    result,
    upserted.length > 0 ? { nModified: modified, upserted } : { nModified: modified },
  );
}

function deleteCommand(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'delete');
  const coll = ctx.store.get(ctx.db, name);
  const variables = evaluateLet(cmd.let);
  const result = runBatch<Doc>(cmd.deletes, cmd.ordered !== false, 'deletes', (stmt) => {
    if (!isPlainObject(stmt)) throw badValue('delete statement must be an object');
    rejectCollation(stmt);
    const limit = toNumber(stmt.limit ?? 0);
    if (limit !== 0 && limit !== 1)
      throw badValue(`The limit field in delete objects must be 0 or 1. Got ${limit}`);
    const docs = select(ctx, name, (stmt.q ?? {}) as Doc, { limit, variables });
    for (const doc of docs) coll?.remove(doc);
    return docs.length;
  });
  return reply(result);
}

export const writeCommands: Record<string, Handler> = { insert, update, delete: deleteCommand };
