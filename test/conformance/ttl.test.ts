import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../support/wait.ts';
import { openHarness, usingRealMongo, type Harness } from './harness.ts';

describe('TTL indexes', () => {
  let h: Harness;
  before(async () => {
    h = await openHarness('ttl');
  });
  after(async () => {
    await h.close();
  });

  // mongod's TTL monitor runs every 60 s, so a real server needs a long wait.
  test('expired documents are removed, others kept', { timeout: 180_000 }, async () => {
    const coll = h.db.collection('sessions');
    await coll.createIndex({ expires_at: 1 }, { expireAfterSeconds: 0 });
    const spec = (await coll.listIndexes().toArray()).find((s) => s.name === 'expires_at_1');
    assert.equal(spec?.expireAfterSeconds, 0);
    await coll.insertMany([
      { name: 'old', expires_at: new Date(Date.now() - 60_000) },
      { name: 'future', expires_at: new Date(Date.now() + 3_600_000) },
      { name: 'no-date', expires_at: 'soon' },
    ]);
    await waitUntil(async () => (await coll.countDocuments({ name: 'old' })) === 0, {
      timeoutMs: usingRealMongo ? 120_000 : 20_000,
      intervalMs: 100,
      what: 'the expired document to be removed',
    });
    const left = (await coll.find({}, { sort: { name: 1 } }).toArray()).map((d) => d.name);
    assert.deepEqual(left, ['future', 'no-date']);
  });
});
