// Postroom's own commands on the embedded store, for other processes that
// reach it only through the wire: which engine holds the data and where, and
// a consistent backup taken by the process that holds the data directory.
import { MongoError, badValue } from '../errors.ts';
import type { Doc } from '../values.ts';
import type { CommandContext, Handler } from './context.ts';

function postroomStoreInfo(_cmd: Doc, ctx: CommandContext): Doc {
  return { ...ctx.store.info(), ok: 1 };
}

function postroomBackup(cmd: Doc, ctx: CommandContext): Doc {
  if (ctx.db !== 'admin')
    throw badValue('postroomBackup may only be run against the admin database.');
  const to = cmd.to;
  if (typeof to !== 'string' || to === '')
    throw badValue("postroomBackup needs 'to': the directory to write the backup into");
  const persistence = ctx.store.persistence;
  if (!persistence) {
    throw new MongoError(
      20,
      'postroomBackup: this embedded store keeps its data in memory only; there is nothing on disk to back up',
    );
  }
  const file = persistence.backupSync(to);
  return { file, ok: 1 };
}

export const storeAdminCommands: Record<string, Handler> = { postroomStoreInfo, postroomBackup };
