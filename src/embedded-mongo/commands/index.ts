// The command table and dispatch: routes a decoded command to its handler and
// turns every failure into mongod's error reply shape.
import type { Logger } from 'pino';
import { MongoError } from '../errors.ts';
import type { Doc } from '../values.ts';
import { adminCommands } from './admin.ts';
import { aggregateCommands } from './aggregate.ts';
import type { CommandContext, Handler } from './context.ts';
import { findAndModifyCommands } from './find-and-modify.ts';
import { handshakeCommands } from './handshake.ts';
import { indexCommands } from './indexes.ts';
import { readCommands } from './read.ts';
import { storeAdminCommands } from './store-admin.ts';
import { writeCommands } from './write.ts';

const COMMANDS = new Map<string, Handler>(
  Object.entries({
    ...handshakeCommands,
    ...adminCommands,
    ...indexCommands,
    ...readCommands,
    ...writeCommands,
    ...findAndModifyCommands,
    ...aggregateCommands,
    ...storeAdminCommands,
  }),
);

const TRANSACTION_COMMANDS = new Set(['commitTransaction', 'abortTransaction']);

export function runCommand(command: Doc, ctx: Omit<CommandContext, 'db'>, logger?: Logger): Doc {
  const name = Object.keys(command)[0] ?? '';
  try {
    const db = command.$db;
    if (typeof db !== 'string' || db === '')
      throw new MongoError(40414, "BSON field '$db' is missing but a required field");
    if (
      command.startTransaction === true ||
      command.autocommit === false ||
      TRANSACTION_COMMANDS.has(name)
    ) {
      throw new MongoError(
        20,
        'Transaction numbers are only allowed on a replica set member or mongos',
      );
    }
    const handler = COMMANDS.get(name);
    if (!handler) throw new MongoError(59, `no such command: '${name}'`);
    return handler(command, { ...ctx, db });
  } catch (error) {
    if (error instanceof MongoError) return error.toReply();
    logger?.error({ err: error, command: name }, 'embedded mongo: internal error');
    return new MongoError(1, error instanceof Error ? error.message : String(error)).toReply();
  }
}
