// findAndModify: update, upsert or remove one document and return it (before
// or after), with errors such as E11000 reported at the top level.
import { failedToParse } from '../errors.ts';
import { hydrate } from '../lazy-bodies.ts';
import { evaluateLet } from '../pipeline-update.ts';
import { compileProjection } from '../projection.ts';
import { UpdateSpec } from '../update.ts';
import type { Doc } from '../values.ts';
import {
  collectionName,
  optionalDoc,
  rejectCollation,
  type CommandContext,
  type Handler,
} from './context.ts';
import { select } from './read.ts';
import { updateDocuments } from './write.ts';

function findAndModify(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'findAndModify');
  rejectCollation(cmd);
  const filter = optionalDoc(cmd, 'query') ?? {};
  const remove = cmd.remove === true;
  const returnNew = cmd.new === true;
  const hasUpdate = cmd.update !== undefined && cmd.update !== null;
  if (remove && hasUpdate) throw failedToParse('Cannot specify both an update and remove=true');
  if (!remove && !hasUpdate)
    throw failedToParse('Either an update or remove=true must be specified');
  if (remove && returnNew) {
    throw failedToParse(
      "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document",
    );
  }
  if (remove && cmd.upsert === true)
    throw failedToParse('Cannot specify both upsert=true and remove=true ');
  const project = compileProjection(cmd.fields, filter);
  const shape = (stored: Doc | undefined): Doc | null => {
    if (!stored) return null;
    const doc = hydrate(stored);
    return project ? project(doc) : doc;
  };

  const variables = evaluateLet(cmd.let);
  const targets = select(ctx, name, filter, { sort: cmd.sort, limit: 1, variables });
  if (remove) {
    const doc = targets[0];
    // Shaped before the removal: a durable store reads a chunk's body from disk.
    const value = shape(doc);
    if (doc) ctx.store.get(ctx.db, name)?.remove(doc);
    return { lastErrorObject: { n: doc ? 1 : 0 }, value, ok: 1 };
  }
  const spec = new UpdateSpec(filter, cmd.update, cmd.arrayFilters, variables);
  const coll = ctx.store.ensure(ctx.db, name);
  const outcome = updateDocuments(coll, filter, spec, {
    multi: false,
    upsert: cmd.upsert === true,
    targets,
    variables,
  });
  const lastErrorObject: Doc = {
    n: outcome.matched > 0 || outcome.upsertedId !== undefined ? 1 : 0,
  };
  lastErrorObject.updatedExisting = outcome.matched > 0;
  if (outcome.upsertedId !== undefined) lastErrorObject.upserted = outcome.upsertedId;
  const value = returnNew
    ? outcome.after
    : outcome.upsertedId !== undefined
      ? undefined
      : outcome.before;
  return { lastErrorObject, value: shape(value), ok: 1 };
}

export const findAndModifyCommands: Record<string, Handler> = {
  findAndModify,
  findandmodify: (cmd, ctx) => findAndModify({ ...cmd, findAndModify: cmd.findandmodify }, ctx),
};
