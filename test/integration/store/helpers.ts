// A store on a database of the calling test file's own, dropped afterwards.
import { createLogger } from '../../../src/platform/logger.ts';
import { dropDatabase } from '../../../src/store/admin.ts';
import { connectStore, type Store } from '../../../src/store/connect.ts';
import { testMongoUri, uniqueName } from '../../support/env.ts';

export async function openStore(
  label: string,
): Promise<{ store: Store; uri: string; drop(): Promise<void> }> {
  return openStoreOn(testMongoUri(uniqueName(label)));
}

/** A store on a given database (a second "process" on the same data). */
export async function openStoreOn(
  uri: string,
): Promise<{ store: Store; uri: string; drop(): Promise<void> }> {
  const store = await connectStore(uri, createLogger('silent'));
  return {
    store,
    uri,
    async drop() {
      await dropDatabase(store);
      await store.close();
    },
  };
}
