// The durable engine under the embedded store: one SQLite file per data
// directory (better-sqlite3, WAL journal), holding the catalogue (collections
// with their uuid, index specs and lazy fields) and every document as the
// BSON bytes it was given. The in-memory collections stay the query engine
// and are read back at open; each command's changes are written inside one
// SQLite transaction that the server commits before the reply leaves. A
// document with large top-level fields that no index reads (message bodies,
// GridFS chunk data) is kept in memory as a skeleton without them: its head
// column holds the skeleton, read at open; the body column, read on demand,
// holds the whole document.
//
// The connection runs in EXCLUSIVE locking mode and writes at open, so it
// holds the file lock for its whole life: a second opener (another process, or
// this one) is refused with DataDirLockedError, and the lock dies with the
// process, so a host killed with -9 frees the directory.
import Database from 'better-sqlite3';
import { calculateObjectSize, deserialize, serialize } from '../bson.ts';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { Collection } from '../collection.ts';
import { MongoError } from '../errors.ts';
import type { IndexSpec } from '../indexes.ts';
import { bodyOnDisk, type LazyFields } from '../lazy-bodies.ts';
import type { Store } from '../store.ts';
import { normalize, type Doc } from '../values.ts';
import type { CollectionJournal, StorePersistence } from './journal.ts';

const STORE_FILE = 'store.sqlite';
const SCHEMA_VERSION = '2';

/**
 * A top-level field larger than this (in BSON bytes) that no index reads is
 * left on disk. Message bodies and GridFS chunks are far larger; ids, dates,
 * statuses and addresses far smaller, so filters on them never read the disk.
 */
export const LAZY_FIELD_BYTES = 1024;

export type SynchronousMode = 'normal' | 'full';

/** The data directory is held by another open store (this process or another one). */
export class DataDirLockedError extends Error {
  readonly dataDir: string;

  constructor(dataDir: string, options?: { cause?: unknown }) {
    super(
      `the embedded store's data directory ${dataDir} is already open in another store (process or handle); only one may hold it`,
      options,
    );
    this.name = 'DataDirLockedError';
    this.dataDir = dataDir;
  }
}

/** Directories this process holds: SQLite's own lock is the cross-process guard. */
const openHere = new Set<string>();

const DESERIALIZE = { promoteValues: false, promoteLongs: false, promoteBuffers: false } as const;

function encode(doc: Doc): Uint8Array {
  return serialize(doc, { checkKeys: false, ignoreUndefined: true });
}

function decode(bytes: Buffer): Doc {
  return normalize(deserialize(bytes, DESERIALIZE)) as Doc;
}

/** The BSON size of one field's value (a string: its UTF-8 length, near enough). */
function fieldBytes(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return 8;
  return calculateObjectSize({ v: value }, { ignoreUndefined: true });
}

/** What memoryForm decided for a document, kept for the write that follows it. */
interface Encoded {
  head: Uint8Array | null;
  body: Uint8Array;
}
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- lazy_fields: a JSON array of the top-level field names some document of
-- the collection has left on disk (a filter on one reads full documents).
CREATE TABLE IF NOT EXISTS collections (
  id INTEGER PRIMARY KEY,
  db TEXT NOT NULL,
  name TEXT NOT NULL,
  uuid TEXT NOT NULL,
  indexes BLOB NOT NULL,
  lazy_fields TEXT NOT NULL DEFAULT '[]',
  UNIQUE (db, name)
);
-- head: the skeleton of a document whose body stays on disk (NULL otherwise);
-- it comes before body so reading it at open leaves the body's pages unread.
CREATE TABLE IF NOT EXISTS documents (
  coll INTEGER NOT NULL,
  id_key TEXT NOT NULL,
  pos INTEGER NOT NULL,
  head BLOB,
  body BLOB NOT NULL,
  PRIMARY KEY (coll, id_key)
);
CREATE INDEX IF NOT EXISTS documents_order ON documents (coll, pos);
`;

function isLockError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

export class SqlitePersistence implements StorePersistence {
  private readonly statements;
  private closed = false;

  private constructor(
    readonly dataDir: string,
    private readonly db: Database.Database,
    private readonly lazyFieldBytes: number,
  ) {
    this.statements = {
      insertDoc: db.prepare<[number, string, number, Uint8Array | null, Uint8Array]>(
        'INSERT INTO documents (coll, id_key, pos, head, body) VALUES (?, ?, ?, ?, ?)',
      ),
      replaceDoc: db.prepare<[Uint8Array | null, Uint8Array, number, string]>(
        'UPDATE documents SET head = ?, body = ? WHERE coll = ? AND id_key = ?',
      ),
      removeDoc: db.prepare<[number, string]>(
        'DELETE FROM documents WHERE coll = ? AND id_key = ?',
      ),
      body: db.prepare<[number, string], { body: Buffer }>(
        'SELECT body FROM documents WHERE coll = ? AND id_key = ?',
      ),
      createColl: db.prepare<[string, string, string, Uint8Array]>(
        'INSERT INTO collections (db, name, uuid, indexes) VALUES (?, ?, ?, ?)',
      ),
      collId: db.prepare<[string, string], { id: number }>(
        'SELECT id FROM collections WHERE db = ? AND name = ?',
      ),
      dropDocs: db.prepare<[number]>('DELETE FROM documents WHERE coll = ?'),
      dropColl: db.prepare<[number]>('DELETE FROM collections WHERE id = ?'),
      collsOfDb: db.prepare<[string], { id: number }>('SELECT id FROM collections WHERE db = ?'),
      setIndexes: db.prepare<[Uint8Array, number]>(
        'UPDATE collections SET indexes = ? WHERE id = ?',
      ),
      setLazyFields: db.prepare<[string, number]>(
        'UPDATE collections SET lazy_fields = ? WHERE id = ?',
      ),
    };
  }

  /** Opens (creating if needed) the store in `dataDir`, taking its lock. */
  static open(
    dataDir: string,
    synchronous: SynchronousMode = 'normal',
    lazyFieldBytes = LAZY_FIELD_BYTES,
  ): SqlitePersistence {
    mkdirSync(dataDir, { recursive: true });
    const dir = realpathSync(dataDir);
    if (openHere.has(dir)) throw new DataDirLockedError(dir);
    // timeout 0: a held lock is an answer, not something to wait for.
    const db = new Database(join(dir, STORE_FILE), { timeout: 0 });
    try {
      // Exclusive before WAL, so the WAL index lives in this process's memory
      // and no other process can read or write the file behind our back.
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      // Large chunk writes grow the WAL; trim it back after each checkpoint.
      db.pragma('journal_size_limit = 67108864');
      // Deleted rows are overwritten with zeros, not left in free pages: a
      // redacted conversation's bodies and GridFS chunks must not linger in
      // the file (old WAL frames go at the next checkpoint).
      db.pragma('secure_delete = ON');
      db.exec('BEGIN');
      db.exec(SCHEMA);
      const version = db
        .prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema'")
        .get();
      if (version?.value === '1') migrateFromSchema1(db);
      else if (version && version.value !== SCHEMA_VERSION) {
        throw new Error(
          `${join(dir, STORE_FILE)} has store schema ${version.value}; this version reads schema ${SCHEMA_VERSION}`,
        );
      }
      // A write at open takes the exclusive lock now, not at the first command.
      db.prepare(
        "INSERT INTO meta (key, value) VALUES ('schema', ?), ('opened_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ).run(SCHEMA_VERSION, new Date().toISOString());
      db.exec('COMMIT');
    } catch (error) {
      db.close();
      if (isLockError(error)) throw new DataDirLockedError(dir, { cause: error });
      throw error;
    }
    openHere.add(dir);
    return new SqlitePersistence(dir, db, lazyFieldBytes);
  }

  /** Reads every collection, document and index back into `store`. */
  loadInto(store: Store): { collections: number; documents: number } {
    const rows = this.db
      .prepare<
        [],
        { id: number; db: string; name: string; uuid: string; indexes: Buffer; lazy_fields: string }
      >('SELECT id, db, name, uuid, indexes, lazy_fields FROM collections ORDER BY id')
      .all();
    // The body column is read only for documents kept whole; a skeleton's body
    // (its overflow pages) stays unread until something needs it.
    const docs = this.db.prepare<
      [number],
      { id_key: string; pos: number; head: Buffer | null; body: Buffer | null }
    >(
      'SELECT id_key, pos, head, CASE WHEN head IS NULL THEN body END AS body FROM documents WHERE coll = ? ORDER BY pos',
    );
    let documents = 0;
    for (const row of rows) {
      const lazy = new Set(JSON.parse(row.lazy_fields) as string[]);
      const journal = this.journalFor(row.id, lazy);
      const coll = new Collection(row.db, row.name, { uuid: row.uuid, journal });
      for (const doc of docs.iterate(row.id)) {
        const kept = doc.head
          ? journal.skeleton(doc.id_key, decode(doc.head))
          : decode(doc.body ?? Buffer.alloc(0));
        coll.restoreDocument(doc.id_key, doc.pos, kept);
        documents++;
      }
      const specs = (decode(row.indexes).specs ?? []) as IndexSpec[];
      for (const spec of specs) coll.restoreIndex(spec);
      store.restore(coll);
    }
    return { collections: rows.length, documents };
  }

  private begin(): void {
    if (this.closed) throw new MongoError(1, 'the embedded store is closed');
    if (!this.db.inTransaction) this.db.exec('BEGIN');
  }

  commit(): void {
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }

  /** Drops what the current command wrote (after a failed commit). */
  rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  collectionCreated(db: string, name: string, uuid: string): CollectionJournal {
    this.begin();
    const result = this.statements.createColl.run(db, name, uuid, encode({ specs: [] }));
    return this.journalFor(Number(result.lastInsertRowid), new Set());
  }

  collectionDropped(db: string, name: string): void {
    this.begin();
    const row = this.statements.collId.get(db, name);
    if (row) this.dropById(row.id);
  }

  databaseDropped(db: string): void {
    this.begin();
    for (const row of this.statements.collsOfDb.all(db)) this.dropById(row.id);
  }

  private dropById(id: number): void {
    this.statements.dropDocs.run(id);
    this.statements.dropColl.run(id);
  }

  private journalFor(
    collId: number,
    lazy: Set<string>,
  ): CollectionJournal & { skeleton(idKey: string, head: Doc): Doc } {
    const s = this.statements;
    const limit = this.lazyFieldBytes;
    const encoded = new WeakMap<Doc, Encoded>();
    const saveLazy = () => {
      this.begin();
      s.setLazyFields.run(JSON.stringify([...lazy]), collId);
    };
    const loadBody = (idKey: string): Doc => {
      const row = s.body.get(collId, idKey);
      if (!row) {
        throw new MongoError(
          175,
          `document ${idKey} was removed while a cursor still pointed at it`,
        );
      }
      return decode(row.body);
    };
    const skeleton = (idKey: string, head: Doc): Doc => bodyOnDisk(head, () => loadBody(idKey));
    /** The skeleton of `doc` (undefined: nothing to leave out), noting new lazy fields. */
    const headOf = (doc: Doc, pinned: ReadonlySet<string> | undefined): Doc | undefined => {
      if (pinned === undefined) return undefined;
      let head: Doc | undefined;
      for (const [field, value] of Object.entries(doc)) {
        if (pinned.has(field) || fieldBytes(value) <= limit) continue;
        head ??= { ...doc };
        delete head[field];
        if (!lazy.has(field)) {
          lazy.add(field);
          saveLazy();
        }
      }
      return head;
    };
    // Taken once: a document kept whole is its own key, and would otherwise
    // keep its encoded bytes alive as long as it stays in the collection.
    const bytesOf = (doc: Doc): Encoded => {
      const bytes = encoded.get(doc);
      if (!bytes) return { head: null, body: encode(doc) };
      encoded.delete(doc);
      return bytes;
    };
    return {
      get lazyFields(): LazyFields {
        return lazy;
      },
      skeleton,
      memoryForm: (idKey, doc, pinned) => {
        const body = encode(doc);
        // A document that small has no field worth leaving on disk.
        const head = body.length > limit ? headOf(doc, pinned) : undefined;
        encoded.set(doc, { head: head ? encode(head) : null, body });
        return head ? skeleton(idKey, head) : doc;
      },
      keptInMemory: (fields) => {
        let changed = false;
        for (const field of fields) changed = lazy.delete(field) || changed;
        if (changed) saveLazy();
      },
      inserted: (idKey, position, doc) => {
        this.begin();
        const { head, body } = bytesOf(doc);
        s.insertDoc.run(collId, idKey, position, head, body);
      },
      replaced: (idKey, doc) => {
        this.begin();
        const { head, body } = bytesOf(doc);
        s.replaceDoc.run(head, body, collId, idKey);
      },
      removed: (idKey) => {
        this.begin();
        s.removeDoc.run(collId, idKey);
      },
      indexesChanged: (specs) => {
        this.begin();
        s.setIndexes.run(encode({ specs }), collId);
      },
    };
  }

  private backupTarget(destDir: string): string {
    mkdirSync(destDir, { recursive: true });
    const target = join(realpathSync(destDir), STORE_FILE);
    if (realpathSync(destDir) === this.dataDir)
      throw new MongoError(2, `cannot back the store up into its own data directory ${destDir}`);
    if (existsSync(target))
      throw new MongoError(2, `backup target ${target} already exists; choose an empty directory`);
    return target;
  }

  /**
   * A consistent copy while commands keep running: SQLite's online backup,
   * done in steps between commands (writes made meanwhile through this
   * connection are carried into the copy).
   */
  async backup(destDir: string): Promise<string> {
    const target = this.backupTarget(destDir);
    await this.db.backup(target);
    return target;
  }

  /**
   * The same, in one step (`VACUUM INTO`): for the backup command, which runs
   * between two commands and so sees exactly the committed state.
   */
  backupSync(destDir: string): string {
    const target = this.backupTarget(destDir);
    this.commit();
    this.db.prepare('VACUUM INTO ?').run(target);
    return target;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rollback();
    this.db.close();
    openHere.delete(this.dataDir);
  }
}

/**
 * Schema 1 kept only GridFS chunk bodies on disk, by collection name; schema
 * 2 records each collection's lazy fields. The chunks' skeletons stay as
 * they are, and their `data` becomes a lazy field.
 */
function migrateFromSchema1(db: Database.Database): void {
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(collections)').all();
  if (!columns.some((column) => column.name === 'lazy_fields'))
    db.exec("ALTER TABLE collections ADD COLUMN lazy_fields TEXT NOT NULL DEFAULT '[]'");
  db.exec(`UPDATE collections SET lazy_fields = '["data"]' WHERE name LIKE '%.chunks'`);
}
