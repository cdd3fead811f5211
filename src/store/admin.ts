// Operations on a whole database, for tests and tools only (never called by
// the running service): each test file drops the database it created.
import { internalsOf, type Store } from './connect.ts';

/** Drop the database named in the store's URI. Irreversible. */
export async function dropDatabase(store: Store): Promise<void> {
  await internalsOf(store).connection.dropDatabase();
}

/** Names of the collections that exist in the store's database. */
export async function listCollections(store: Store): Promise<string[]> {
  const db = internalsOf(store).connection.db;
  if (!db) return [];
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  return collections.map((c) => c.name).sort();
}

/** Every document of a collection as plain data (small test databases only). */
export async function dumpCollection(
  store: Store,
  name: string,
): Promise<Array<Record<string, unknown>>> {
  const db = internalsOf(store).connection.db;
  if (!db) return [];
  return db.collection<Record<string, unknown>>(name).find({}).toArray();
}

/** The indexes of a collection as the server reports them. */
export async function listIndexes(
  store: Store,
  collection: string,
): Promise<
  Array<{
    name: string;
    key: Record<string, unknown>;
    unique?: boolean;
    partialFilterExpression?: unknown;
  }>
> {
  const db = internalsOf(store).connection.db;
  if (!db) return [];
  const indexes = await db.collection(collection).listIndexes().toArray();
  return indexes.map((index) => ({
    name: String(index.name),
    key: index.key as Record<string, unknown>,
    ...(index.unique ? { unique: true } : {}),
    ...(index.partialFilterExpression
      ? { partialFilterExpression: index.partialFilterExpression }
      : {}),
  }));
}
