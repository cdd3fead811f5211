// What a test file needs to reach the shared services started by test/run.ts,
// plus names unique to the calling test so files never see each other's data.
import { randomBytes } from 'node:crypto';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through "npm test"`);
  return value;
}

export function uniqueName(label = 't'): string {
  return `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function testRedisUrl(): string {
  return required('POSTROOM_TEST_REDIS_URL');
}

/** A MongoDB URI naming a database of the caller's own (drop it when done). */
export function testMongoUri(database: string = uniqueName('db')): string {
  const url = new URL(required('POSTROOM_TEST_MONGODB_URI'));
  url.pathname = `/${database.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)}`;
  return url.toString();
}
