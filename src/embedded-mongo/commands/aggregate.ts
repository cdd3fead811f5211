// The aggregate command: cursor-based replies, with explain refused.
import { MongoError, notSupported } from '../errors.ts';
import { runPipeline, validatePipeline } from '../aggregate.ts';
import { evaluateLet } from '../pipeline-update.ts';
import type { Doc } from '../values.ts';
import {
  optionalDoc,
  optionalNumber,
  rejectCollation,
  type CommandContext,
  type Handler,
} from './context.ts';

function aggregate(cmd: Doc, ctx: CommandContext): Doc {
  const target = cmd.aggregate;
  if (typeof target !== 'string' && target !== 1) {
    throw new MongoError(73, 'Invalid target for aggregate: must be a collection name or 1');
  }
  if (cmd.explain === true) throw notSupported('explain');
  const cursor = optionalDoc(cmd, 'cursor');
  if (!cursor) {
    throw new MongoError(
      9,
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  rejectCollation(cmd);
  const stages = validatePipeline(cmd.pipeline);
  const collection = typeof target === 'string' ? target : undefined;
  const docs = runPipeline(ctx.store, ctx.db, collection, stages, evaluateLet(cmd.let));
  const batchSize = optionalNumber(cursor, 'batchSize');
  const ns = `${ctx.db}.${collection ?? '$cmd.aggregate'}`;
  return ctx.cursors.open(ns, docs, { batchSize });
}

export const aggregateCommands: Record<string, Handler> = { aggregate };
