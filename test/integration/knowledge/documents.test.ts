// The knowledge API through the real runtime: upload, list, search, delete,
// and one account never seeing another's documents.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  TEST_API_KEY,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';

const OTHER_KEY = 'pk_other_account_key_1';
let runtime: TestRuntime;

before(async () => {
  const account = (id: string, key: string) => ({
    id,
    name: id,
    api_keys: [{ name: 'test', key, permissions: ['admin' as const] }],
  });
  runtime = await startTestRuntime({
    accounts: [account('acme', TEST_API_KEY), account('globex', OTHER_KEY)],
  });
});

after(async () => {
  await runtime.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

const post = (body: unknown, key = TEST_API_KEY) =>
  runtime.request('/v1/knowledge/documents', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

test('an uploaded document is listed, found by search, kept to its account, and deleted', async () => {
  const created = await post({
    format: 'markdown',
    content:
      '# Returns policy\n\n## Refund timing\n\nRefunds reach the original card within 5 business days.\n\n## Shipping\n\nOrders ship in 2 days.',
  });
  assert.equal(created.status, 201);
  const doc = (await created.json()) as { id: string; title: string };
  assert.equal(doc.title, 'Returns policy');

  const listed = await runtime.json<{ data: Array<{ id: string }> }>('/v1/knowledge/documents');
  assert.deepEqual(
    listed.data.map((d) => d.id),
    [doc.id],
  );
  const found = await runtime.json<{ data: Array<{ document_id: string; headings: string }> }>(
    '/v1/knowledge/search?q=when%20will%20I%20get%20my%20refund',
  );
  assert.equal(found.data[0]?.document_id, doc.id);
  assert.equal(found.data[0]?.headings, 'Returns policy › Refund timing');

  const other = await runtime.request('/v1/knowledge/search?q=refund', {
    headers: { authorization: `Bearer ${OTHER_KEY}` },
  });
  assert.deepEqual(((await other.json()) as { data: unknown[] }).data, []);
  const otherGet = await runtime.request(`/v1/knowledge/documents/${doc.id}`, {
    headers: { authorization: `Bearer ${OTHER_KEY}` },
  });
  assert.equal(otherGet.status, 404);

  const bad = await post({ content: '   ' });
  assert.equal(bad.status, 400);

  const deleted = await runtime.request(`/v1/knowledge/documents/${doc.id}`, { method: 'DELETE' });
  assert.equal(deleted.status, 204);
  const after = await runtime.json<{ data: unknown[] }>('/v1/knowledge/search?q=refund');
  assert.deepEqual(after.data, []);
});
