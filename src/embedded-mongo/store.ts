// All databases of one embedded server, in memory.
import { MongoError } from './errors.ts';
import { Collection } from './collection.ts';

export class Store {
  private readonly dbs = new Map<string, Map<string, Collection>>();

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
    if (!coll) colls.set(name, (coll = new Collection(db, name)));
    return coll;
  }

  create(db: string, name: string): Collection {
    if (this.get(db, name)) throw new MongoError(48, `Collection ${db}.${name} already exists.`);
    return this.ensure(db, name);
  }

  drop(db: string, name: string): Collection | undefined {
    const coll = this.get(db, name);
    this.dbs.get(db)?.delete(name);
    return coll;
  }

  dropDatabase(db: string): void {
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
