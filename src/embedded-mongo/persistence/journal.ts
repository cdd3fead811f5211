// What the in-memory collections tell a durable engine beneath them. The
// collections stay the query engine; a journal only records each change
// (inside the transaction of the command that made it) and may choose to keep
// less in memory than it was given (large fields no index reads stay on disk:
// see lazy-bodies.ts).
import type { IndexSpec } from '../indexes.ts';
import type { LazyFields } from '../lazy-bodies.ts';
import type { Doc } from '../values.ts';

export interface CollectionJournal {
  /** The top-level fields some stored documents have left on disk (see lazy-bodies.ts). */
  readonly lazyFields: LazyFields;
  /**
   * The form the collection keeps in memory of a document it is about to
   * store: the document itself, or a skeleton without its large fields
   * (never one of `pinned`, the fields its indexes read; `pinned` undefined:
   * an index may read any field, so nothing is left out).
   */
  memoryForm(idKey: string, doc: Doc, pinned: ReadonlySet<string> | undefined): Doc;
  /** These fields are no longer left on disk by any document (an index now reads them). */
  keptInMemory(fields: readonly string[]): void;
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
