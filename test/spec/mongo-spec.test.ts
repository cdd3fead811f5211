// MongoDB's driver specification tests (CRUD, GridFS, index management, in
// the Unified Test Format) run against the embedded store, and against
// MONGODB_URI when set. They are read from ../shared/mongo-spec, never copied
// into the repository. Prints `N passed, N failed, N unsupported (listed), N skipped`.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BSON, MongoClient } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../src/embedded-mongo/index.ts';
import { driverGap } from './driver-gaps.ts';
import { unmetRequirements, type ServerTarget } from './requirements.ts';
import { runSpecTest, type RunRecord, type RunTarget, type SpecFile } from './unified.ts';
import { unsupportedFeature } from './unsupported.ts';

const SPEC_ROOT = join(import.meta.dirname, '..', '..', '..', 'shared', 'mongo-spec');
const SUITES = ['crud', 'gridfs', 'index-management'];

const counts = { passed: 0, failed: 0, unsupported: 0, skipped: 0 };

function loadFiles(): Array<{ suite: string; name: string; file: SpecFile }> {
  const out: Array<{ suite: string; name: string; file: SpecFile }> = [];
  for (const suite of SUITES) {
    const dir = join(SPEC_ROOT, suite);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      // Relaxed Extended JSON: numbers stay numbers for the driver's options.
      const file = BSON.EJSON.parse(readFileSync(join(dir, entry), 'utf8')) as SpecFile;
      out.push({ suite, name: entry.slice(0, -'.json'.length), file });
    }
  }
  return out;
}

async function describeServer(client: MongoClient): Promise<ServerTarget> {
  const admin = client.db('admin');
  const info = await admin.command({ buildInfo: 1 });
  const hello = await admin.command({ hello: 1 });
  const topology = hello.msg === 'isdbgrid' ? 'sharded' : hello.setName ? 'replicaset' : 'single';
  return { version: (info.versionArray as number[]).slice(0, 3), topology };
}

interface Server {
  target: RunTarget;
  server: ServerTarget;
  /** Only the embedded store answers for the unsupported list. */
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * In memory, or durable in a scratch data directory with every unindexed
 * field left on disk (lazyFieldBytes 0), so that each test also checks that
 * filters, sorts, projections, updates and aggregations read skeletons right.
 */
async function embeddedServer(durable = false): Promise<Server> {
  const dataDir = durable ? mkdtempSync(join(tmpdir(), 'postroom-spec-')) : undefined;
  const mongo: EmbeddedMongo = await startEmbeddedMongo(
    dataDir ? { port: 0, dataDir, lazyFieldBytes: 0 } : { port: 0 },
  );
  const internal = await MongoClient.connect(mongo.uri);
  return {
    target: { uri: mongo.uri, internal, dbName: (name) => name },
    server: await describeServer(internal),
    embedded: true,
    async close() {
      await internal.close();
      await mongo.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function realServer(uri: string): Promise<Server> {
  const internal = await MongoClient.connect(uri);
  const prefix = `postroom_spec_${process.pid}_`;
  const used = new Set<string>();
  return {
    target: {
      uri,
      internal,
      dbName: (name) => {
        used.add(prefix + name);
        return prefix + name;
      },
    },
    server: await describeServer(internal),
    embedded: false,
    async close() {
      for (const name of used) await internal.db(name).dropDatabase();
      await internal.close();
    },
  };
}

function registerSuite(label: string, open: () => Promise<Server>): void {
  describe(`mongo spec tests on ${label}`, () => {
    let server: Server | undefined;
    before(async () => {
      server = await open();
    });
    after(async () => {
      await server?.close();
    });
    for (const { suite, name, file } of loadFiles()) {
      describe(`${suite}/${name}`, () => {
        for (const spec of file.tests) {
          test(spec.description, async (t) => {
            const current = server as Server;
            const reason =
              spec.skipReason ??
              driverGap(name, spec.description) ??
              unmetRequirements(file.runOnRequirements, current.server) ??
              unmetRequirements(spec.runOnRequirements, current.server);
            if (reason !== undefined) {
              counts.skipped++;
              t.skip(reason);
              return;
            }
            const record: RunRecord = { serverErrors: [] };
            const listed = current.embedded
              ? unsupportedFeature(name, spec.description)
              : undefined;
            if (!listed) {
              try {
                await runSpecTest(current.target, file, spec, record);
                counts.passed++;
              } catch (error) {
                counts.failed++;
                throw error;
              }
              return;
            }
            let passed = false;
            try {
              await runSpecTest(current.target, file, spec, record);
              passed = true;
            } catch {
              // Expected: the store refuses the feature; checked below.
            }
            try {
              assert.ok(
                !passed,
                `listed as unsupported (${listed.feature}) but passes: remove it from test/spec/unsupported.ts`,
              );
              const refusal = record.serverErrors.find((e) => listed.error.test(e.message));
              assert.ok(
                refusal,
                `listed as unsupported (${listed.feature}), but the store did not refuse it with ${String(listed.error)}; server errors: ${record.serverErrors.map((e) => e.message).join(' | ') || 'none'}`,
              );
              counts.unsupported++;
              t.diagnostic(`unsupported (listed): ${listed.feature}: ${refusal.message}`);
            } catch (error) {
              counts.failed++;
              throw error;
            }
          });
        }
      });
    }
  });
}

if (!existsSync(SPEC_ROOT)) {
  test('mongo spec tests', (t) => {
    t.skip(
      `MongoDB's spec tests are not present at ${SPEC_ROOT} (../shared/mongo-spec beside the checkout)`,
    );
  });
} else {
  registerSuite('the embedded store in memory', () => embeddedServer());
  registerSuite('the embedded store on disk, unindexed fields left on disk', () =>
    embeddedServer(true),
  );
  const uri = process.env.MONGODB_URI;
  if (uri) registerSuite('MONGODB_URI', () => realServer(uri));
  after(() => {
    console.log(
      `mongo spec tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.unsupported} unsupported (listed), ${counts.skipped} skipped`,
    );
  });
}
