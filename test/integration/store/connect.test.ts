import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dropDatabase } from '../../../src/store/admin.ts';
import { connectStore } from '../../../src/store/connect.ts';
import { StoreConnectError } from '../../../src/store/errors.ts';
import { freePort } from '../../support/wait.ts';
import { testMongoUri, uniqueName } from '../../support/env.ts';
import { capturedLogger } from '../../support/helpers.ts';

describe('connectStore', () => {
  test('connects, builds indexes, pings, closes; the log names no credentials', async () => {
    const { logger, text } = capturedLogger();
    const uri = testMongoUri(uniqueName('store-conn'));
    const store = await connectStore(uri, logger);
    try {
      assert.equal(await store.ping(), true);
      assert.match(text(), /connected to MongoDB/);
    } finally {
      await dropDatabase(store);
      await store.close();
    }
    assert.equal(await store.ping(), false);
  });

  test('two stores on one server are independent connections', async () => {
    const a = await connectStore(testMongoUri(uniqueName('store-a')), capturedLogger().logger);
    const b = await connectStore(testMongoUri(uniqueName('store-b')), capturedLogger().logger);
    try {
      const create = (store: typeof a) =>
        store.conversations.create({ account_id: 'acme', type: 'group', audience: 'customer' });
      await create(a);
      assert.equal((await create(b)).case_number, 1);
      assert.equal((await create(a)).case_number, 2);
    } finally {
      for (const store of [a, b]) {
        await dropDatabase(store);
        await store.close();
      }
    }
  });

  test('an unreachable server fails within the timeout, without the password in the error or log', async () => {
    const { logger, text } = capturedLogger();
    const port = await freePort();
    const uri = `mongodb://admin:hunter2-secret@127.0.0.1:${port}/postroom`;
    const started = Date.now();
    await assert.rejects(
      connectStore(uri, logger, { serverSelectionTimeoutMS: 300 }),
      (error: unknown) => {
        assert.ok(error instanceof StoreConnectError);
        assert.ok(!error.message.includes('hunter2-secret'), error.message);
        assert.match(error.message, /127\.0\.0\.1/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5_000);
    assert.ok(!text().includes('hunter2-secret'));
  });

  test('a malformed URI is a StoreConnectError without its credentials', async () => {
    await assert.rejects(
      connectStore('mongodb://admin:hunter2-secret@/?bogus=', capturedLogger().logger, {
        serverSelectionTimeoutMS: 300,
      }),
      (error: unknown) => {
        assert.ok(error instanceof StoreConnectError);
        assert.ok(!error.message.includes('hunter2-secret'), error.message);
        return true;
      },
    );
  });
});
