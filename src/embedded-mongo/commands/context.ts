// What every command handler gets, and small argument readers shared by them.
import type { Logger } from 'pino';
import type { CursorRegistry } from '../cursors.ts';
import { MongoError, badValue } from '../errors.ts';
import type { Store } from '../store.ts';
import { isNumeric, toNumber, type Doc } from '../values.ts';

export interface CommandContext {
  store: Store;
  cursors: CursorRegistry;
  db: string;
  connectionId: number;
  clientAddress: string;
  logger: Logger | undefined;
}

export type Handler = (cmd: Doc, ctx: CommandContext) => Doc;

/** The collection a command names in its first field. */
export function collectionName(cmd: Doc, commandName: string): string {
  const name = cmd[commandName];
  if (typeof name !== 'string' || name === '') {
    throw new MongoError(73, `collection name has invalid type ${typeof name}`);
  }
  return name;
}

export function optionalNumber(cmd: Doc, field: string): number | undefined {
  const v = cmd[field];
  if (v === undefined || v === null) return undefined;
  if (!isNumeric(v)) throw new MongoError(14, `Field '${field}' must be a number`);
  return toNumber(v);
}

export function optionalDoc(cmd: Doc, field: string): Doc | undefined {
  const v = cmd[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new MongoError(14, `Field '${field}' must be an object`);
  return v as Doc;
}

/** Only the default "simple" collation is available. */
export function rejectCollation(cmd: Doc): void {
  const collation = cmd.collation as Doc | undefined;
  if (
    collation &&
    typeof collation === 'object' &&
    Object.keys(collation).length > 0 &&
    collation.locale !== 'simple'
  ) {
    throw badValue(
      'collation other than { locale: "simple" } is not supported by the embedded store',
    );
  }
}
