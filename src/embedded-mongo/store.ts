// All databases of one embedded server, in memory; with a persistence
// beneath (persistence/), every change is also journalled to disk and the
// collections are read back from it at open.
import { MongoError } from './errors.ts';
import { Collection } from './collection.ts';
import type { StoreInfo, StorePersistence } from './persistence/journal.ts';

export class Store {
  private readonly dbs = new Map<string, Map<string, Collection>>();

  constructor(readonly persistence?: StorePersistence) {}

  info(): StoreInfo {
    return {
      engine: this.persistence ? 'sqlite' : 'memory',
      dataDir: this.persistence?.dataDir ?? null,
      pid: process.pid,
    };
  }

  /** Makes what the current command wrote durable (no-op in memory). */
  commit(): void {
    this.persistence?.commit();
  }

  /** Puts back a collection read from disk at open. */
  restore(coll: Collection): void {
    let colls = this.dbs.get(coll.db);
    if (!colls) this.dbs.set(coll.db, (colls = new Map()));
    colls.set(coll.name, coll);
  }

  databases(): string[] {
    return [...this.dbs.keys()].filter((name) => (this.dbs.get(name)?.size ?? 0) > 0);
  }

  collections(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  get(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  /** The collection, created implicitly as mongod does on first write. */
  ensure(db: string, name: string): Collection {
    validateName(db, name);
    let colls = this.dbs.get(db);
    if (!colls) this.dbs.set(db, (colls = new Map()));
    let coll = colls.get(name);
    if (!coll) {
      const uuid = crypto.randomUUID();
      const journal = this.persistence?.collectionCreated(db, name, uuid);
      colls.set(name, (coll = new Collection(db, name, { uuid, journal })));
    }
    return coll;
  }

  create(db: string, name: string): Collection {
    if (this.get(db, name)) throw new MongoError(48, `Collection ${db}.${name} already exists.`);
    return this.ensure(db, name);
  }

  drop(db: string, name: string): Collection | undefined {
    const coll = this.get(db, name);
    if (coll) this.persistence?.collectionDropped(db, name);
    this.dbs.get(db)?.delete(name);
    return coll;
  }

  dropDatabase(db: string): void {
    if (this.dbs.has(db)) this.persistence?.databaseDropped(db);
    this.dbs.delete(db);
  }

  allCollections(): Collection[] {
    return [...this.dbs.values()].flatMap((colls) => [...colls.values()]);
  }
}

function validateName(db: string, name: string): void {
  if (!db || /[/\\. "$]/.test(db)) throw new MongoError(73, `Invalid database name: '${db}'`);
  if (!name || name.includes('$') || name.includes('\0')) {
    throw new MongoError(73, `Invalid collection name: ${name}`);
  }
}
