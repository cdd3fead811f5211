// MongoDB for the suite: the server named by MONGODB_URI when set (the same
// tests then run against a real MongoDB), else the embedded store: in memory,
// or durable on a scratch data directory with POSTROOM_TEST_EMBEDDED_STORE=disk.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedMongo } from '../../../src/embedded-mongo/index.ts';

export async function startSharedMongo(): Promise<{ uri: string; stop(): Promise<void> }> {
  const external = process.env.MONGODB_URI;
  if (external) return { uri: external, stop: async () => undefined };
  // A short TTL period lets the TTL conformance test finish quickly; it still waits for the condition.
  const mode = process.env.POSTROOM_TEST_EMBEDDED_STORE ?? 'memory';
  if (mode !== 'memory' && mode !== 'disk')
    throw new Error(`POSTROOM_TEST_EMBEDDED_STORE must be memory or disk, not ${mode}`);
  const dataDir = mode === 'disk' ? mkdtempSync(join(tmpdir(), 'postroom-test-store-')) : undefined;
  const mongo = await startEmbeddedMongo({ port: 0, ttlIntervalMs: 200, dataDir });
  return {
    uri: mongo.uri,
    async stop() {
      await mongo.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
