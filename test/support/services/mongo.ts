// MongoDB for the suite: the server named by MONGODB_URI when set (the same
// tests then run against a real MongoDB), else the embedded in-memory store.
import { startEmbeddedMongo } from '../../../src/embedded-mongo/index.ts';

export async function startSharedMongo(): Promise<{ uri: string; stop(): Promise<void> }> {
  const external = process.env.MONGODB_URI;
  if (external) return { uri: external, stop: async () => undefined };
  // A short TTL period lets the TTL conformance test finish quickly; it still waits for the condition.
  const mongo = await startEmbeddedMongo({ port: 0, ttlIntervalMs: 200 });
  return { uri: mongo.uri, stop: () => mongo.stop() };
}
