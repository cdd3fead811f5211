// Shared setup for the MongoDB conformance files: a client on a database of the
// file's own, dropped afterwards. The files assert real MongoDB behaviour and
// run unchanged against a real server when MONGODB_URI is set.
import {
  MongoClient,
  MongoServerError,
  type Db,
  type Document,
  type Long,
  type ObjectId,
} from 'mongodb';
import assert from 'node:assert/strict';
import { testMongoUri, uniqueName } from '../support/env.ts';

export interface Harness {
  client: MongoClient;
  db: Db;
  uri: string;
  close(): Promise<void>;
}

export async function openHarness(label: string): Promise<Harness> {
  const uri = testMongoUri(uniqueName(label));
  const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 10_000 });
  const db = client.db();
  return {
    client,
    db,
    uri,
    async close() {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}

/** Asserts that `action` fails with a server error carrying `code`; returns that error. */
export async function rejectsWithCode(
  action: () => Promise<unknown>,
  code: number,
): Promise<MongoServerError> {
  try {
    await action();
  } catch (error) {
    assert.ok(
      error instanceof MongoServerError,
      `expected a MongoServerError, got ${String(error)}`,
    );
    assert.equal(
      error.code,
      code,
      `expected code ${code}, got ${String(error.code)}: ${error.message}`,
    );
    return error;
  }
  assert.fail(`expected an error with code ${code}`);
}

export const usingRealMongo = Boolean(process.env.MONGODB_URI);

/** The driver's schema-less document: _id may be of any BSON type (tests use numbers and strings). */
export interface AnyDoc extends Document {
  _id?: string | number | ObjectId | Long;
}
