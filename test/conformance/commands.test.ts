import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openHarness, rejectsWithCode, type Harness } from './harness.ts';

describe('handshake and administrative commands', () => {
  let h: Harness;
  before(async () => {
    h = await openHarness('cmds');
  });
  after(async () => {
    await h.close();
  });

  test('ping, hello and buildInfo answer like a writable server', async () => {
    assert.equal((await h.db.command({ ping: 1 })).ok, 1);
    const hello = await h.db.admin().command({ hello: 1 });
    assert.equal(hello.isWritablePrimary, true);
    assert.equal(hello.ok, 1);
    assert.ok(hello.maxWireVersion >= 9);
    assert.equal(hello.maxBsonObjectSize, 16777216);
    assert.ok(hello.localTime instanceof Date);
    const legacy = await h.db.admin().command({ isMaster: 1 });
    assert.equal(legacy.ismaster, true);
    const info = await h.db.admin().command({ buildInfo: 1 });
    assert.match(info.version, /^\d+\.\d+\.\d+/);
    assert.ok(Array.isArray(info.versionArray));
  });

  test('an unknown command answers CommandNotFound (59)', async () => {
    const error = await rejectsWithCode(() => h.db.command({ frobnicate: 1 }), 59);
    assert.equal(error.codeName, 'CommandNotFound');
    assert.match(error.message, /no such command: 'frobnicate'/);
  });

  test('create, listCollections (filter, nameOnly) and drop', async () => {
    await h.db.createCollection('alpha');
    await h.db.collection('beta').insertOne({ x: 1 });
    await rejectsWithCode(() => h.db.command({ create: 'alpha' }), 48);

    const all = await h.db.listCollections().toArray();
    assert.deepEqual(all.map((c) => c.name).sort(), ['alpha', 'beta']);
    assert.ok(all.every((c) => c.type === 'collection'));

    const filtered = await h.db.listCollections({ name: 'beta' }).toArray();
    assert.deepEqual(
      filtered.map((c) => c.name),
      ['beta'],
    );

    const names = await h.db.listCollections({}, { nameOnly: true }).toArray();
    assert.ok(names.every((c) => Object.keys(c).sort().join() === 'name,type'));

    assert.equal(await h.db.collection('alpha').drop(), true);
    assert.deepEqual(
      (await h.db.listCollections().toArray()).map((c) => c.name),
      ['beta'],
    );
  });

  test('listDatabases includes a database once it holds data; dropDatabase removes it', async () => {
    const other = h.client.db(`${h.db.databaseName}_x`);
    await other.collection('c').insertOne({ a: 1 });
    const { databases } = await h.db.admin().listDatabases();
    assert.ok(databases.some((d) => d.name === other.databaseName));
    const namesOnly = await h.db.admin().listDatabases({ nameOnly: true });
    assert.ok(namesOnly.databases.some((d) => d.name === other.databaseName));
    await other.dropDatabase();
    const after = await h.db.admin().listDatabases({ nameOnly: true });
    assert.ok(!after.databases.some((d) => d.name === other.databaseName));
  });

  test('endSessions is accepted', async () => {
    const session = h.client.startSession();
    await h.db.collection('beta').findOne({}, { session });
    await session.endSession();
    assert.equal((await h.db.admin().command({ endSessions: [] })).ok, 1);
  });
});
