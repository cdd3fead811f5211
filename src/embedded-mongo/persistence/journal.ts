// What the in-memory collections tell a durable engine beneath them. The
// collections stay the query engine; a journal only records each change
// (inside the transaction of the command that made it) and may choose to keep
// less in memory than it was given (GridFS chunk bodies stay on disk).
import type { IndexSpec } from '../indexes.ts';
import type { Doc } from '../values.ts';

export interface CollectionJournal {
  /** Whether some documents are kept in memory as skeletons (see lazy-bodies.ts). */
  readonly bodiesOnDisk: boolean;
  /** The form the collection keeps in memory of a document it is about to store. */
  memoryForm(idKey: string, doc: Doc): Doc;
  inserted(idKey: string, position: number, doc: Doc): void;
  replaced(idKey: string, doc: Doc): void;
  removed(idKey: string): void;
  /** The secondary indexes (without `_id_`) after a change. */
  indexesChanged(specs: IndexSpec[]): void;
}

export interface StoreInfo {
  engine: 'sqlite' | 'memory';
  dataDir: string | null;
  pid: number;
}

export interface StorePersistence {
  readonly dataDir: string;
  collectionCreated(db: string, name: string, uuid: string): CollectionJournal;
  collectionDropped(db: string, name: string): void;
  databaseDropped(db: string): void;
  /** Commits what the current command (or TTL sweep) wrote, before its reply leaves. */
  commit(): void;
  /** Drops what the current command wrote, after a failed commit. */
  rollback(): void;
  /** A consistent copy into `destDir` (created; must not already hold a store), synchronously. */
  backupSync(destDir: string): string;
}
