// What the inbox needs from the API: the conversation list's search (q) and
// assignee filter, and the account-wide event stream, each kept within the
// caller's account.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { redisPublisher, type Publisher } from '../../../src/realtime/events.ts';
import type { ConversationRecord } from '../../../src/store/index.ts';
import {
  TEST_API_KEY,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { SseClient } from '../api-agents/sse-client.ts';

const ALL = ['messaging:read', 'messaging:write', 'messaging:approve', 'messaging:delete', 'admin'];
const GLOBEX_KEY = 'pk_test_inbox_globex_001';

let runtime: TestRuntime;
let publisher: Publisher;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'postroom-inbox-'));
  const mailbox = (id: string, address: string) => ({
    id,
    address,
    drop_folder: join(dir, id, 'drop'),
    outbox_folder: join(dir, id, 'out'),
  });
  runtime = await startTestRuntime(
    {
      accounts: [
        {
          id: 'acme',
          name: 'Acme',
          api_keys: [{ name: 'test', key: TEST_API_KEY, permissions: ALL }],
          mailboxes: [mailbox('support', 'support@acme.test')],
        },
        {
          id: 'globex',
          name: 'Globex',
          api_keys: [{ name: 'g', key: GLOBEX_KEY, permissions: ALL }],
          mailboxes: [mailbox('help', 'help@globex.test')],
        },
      ],
    },
    { roles: 'api' },
  );
  publisher = redisPublisher(runtime.context.redis, runtime.prefix);
});

after(async () => {
  if (!runtime) return;
  await runtime.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

async function newCase(
  account: string,
  title: string,
  customer: { name: string; address: string },
  body: string,
  fields: Partial<ConversationRecord> = {},
): Promise<string> {
  const { store } = runtime.context;
  const conversation = await store.conversations.create({
    account_id: account,
    type: 'group',
    audience: 'customer',
    workflow_status: 'open',
    title,
    mailbox_id: account === 'acme' ? 'support' : 'help',
    participants: [{ type: 'customer', customer }],
    ...fields,
  });
  await store.messages.appendSent({
    account_id: account,
    conversation_id: conversation._id,
    kind: 'email',
    visibility: 'external',
    channel: 'email',
    body,
    subject: title,
    mailbox_id: conversation.mailbox_id,
    email: {
      message_id: `${conversation._id}@customer.example`,
      from: customer,
      to: [{ name: null, address: 'support@acme.test' }],
      auto_submitted: false,
    },
  });
  return conversation._id;
}

async function listIds(query: string, key = TEST_API_KEY): Promise<string[]> {
  const response = await runtime.request(`/v1/messaging/conversations?${query}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { data: Array<{ id: string }> }).data.map((c) => c.id).sort();
}

describe('inbox API', () => {
  let parcel: string;
  let invoice: string;
  let refund: string;
  let globex: string;

  before(async () => {
    parcel = await newCase(
      'acme',
      'Where is my parcel?',
      { name: 'Jane Doe', address: 'jane@customer.example' },
      'Ordered on Monday, tracking says nothing.',
    );
    invoice = await newCase(
      'acme',
      'Invoice (copy) needed',
      { name: 'Bob Stone', address: 'bob@stone.example' },
      'Please send invoice 2026.11 again.',
    );
    refund = await newCase(
      'acme',
      'Refund',
      { name: 'Carol', address: 'carol@example.org' },
      'The blender arrived broken.',
    );
    globex = await newCase(
      'globex',
      'Where is my parcel?',
      { name: 'Jane Doe', address: 'jane@customer.example' },
      'Globex parcel: the blender too.',
    );
  });

  test('q searches subject, customer name and address, and bodies, case-insensitively', async () => {
    assert.deepEqual(await listIds('q=PARCEL'), [parcel]);
    assert.deepEqual(await listIds('q=bob%20stone'), [invoice]);
    assert.deepEqual(await listIds('q=carol%40example.org'), [refund]);
    assert.deepEqual(await listIds('q=blender'), [refund]);
    assert.deepEqual(await listIds('q=nothing%20like%20this'), []);
  });

  test('q is a literal: regex characters match themselves', async () => {
    assert.deepEqual(await listIds(`q=${encodeURIComponent('(copy)')}`), [invoice]);
    assert.deepEqual(await listIds(`q=${encodeURIComponent('2026.11')}`), [invoice]);
    assert.deepEqual(await listIds(`q=${encodeURIComponent('2026x11')}`), []);
    assert.deepEqual(await listIds(`q=${encodeURIComponent('.*')}`), []);
  });

  test("q never finds another account's cases", async () => {
    assert.deepEqual(await listIds('q=parcel', GLOBEX_KEY), [globex]);
    assert.deepEqual(await listIds('q=blender', GLOBEX_KEY), [globex]);
  });

  test('q is validated', async () => {
    const long = await runtime.request(`/v1/messaging/conversations?q=${'x'.repeat(201)}`);
    assert.equal(long.status, 400);
    const body = (await long.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'invalid_parameter');
    assert.match(body.error.message, /query\.q/);
    assert.equal((await runtime.request('/v1/messaging/conversations?q=')).status, 400);
  });

  test('assignee_id filters by actor, by me (the caller) and by none', async () => {
    const { store } = runtime.context;
    const [key] = await store.apiKeys.list('acme');
    assert.ok(key);
    await store.conversations.update('acme', parcel, { assignee_id: key.actor_id });
    await store.conversations.update('acme', invoice, { assignee_id: 'usr_someone_else' });
    assert.deepEqual(await listIds('assignee_id=me'), [parcel]);
    assert.deepEqual(await listIds('assignee_id=usr_someone_else'), [invoice]);
    assert.deepEqual(await listIds('assignee_id=none'), [refund]);
    assert.deepEqual(await listIds('assignee_id=none&q=refund'), [refund]);
  });

  test("the account stream relays its own cases' changes and nothing of another account's", async () => {
    const stream = await SseClient.open(`${runtime.api}/v1/messaging/events`, {
      authorization: `Bearer ${TEST_API_KEY}`,
    });
    try {
      assert.equal(stream.response.status, 200);
      // Another account's case changes first: it must not come through.
      await publisher.publish({ type: 'conversation.updated', conversation_id: globex });
      await publisher.publish({
        type: 'message.delta',
        conversation_id: refund,
        delta: { message_id: 'msg_x', offset: 0, text: 'Hi' },
      });
      await publisher.publish({ type: 'conversation.updated', conversation_id: refund });
      const frame = await stream.next((f) => f.event === 'conversation.updated', 'the case update');
      const data = frame.data as { id: string; object: string; participants: unknown };
      assert.equal(data.id, refund, 'the first frame is our own case, not Globex’s');
      assert.equal(data.object, 'conversation');
      assert.ok(data.participants, 'list rows come with their participants');
      assert.ok(
        stream.frames.every((f) => f.event !== 'message.delta'),
        'deltas are not relayed to the list',
      );
    } finally {
      stream.close();
    }
    const unknown = await runtime.request('/v1/messaging/events?x=1');
    assert.equal(unknown.status, 400);
  });

  test('a case a person changes through the API reaches the account stream as it is now', async () => {
    const stream = await SseClient.open(`${runtime.api}/v1/messaging/events`, {
      authorization: `Bearer ${TEST_API_KEY}`,
    });
    const call = (path: string, method: string, body: unknown) =>
      runtime.request(path, {
        method,
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    try {
      const moved = await call(
        `/v1/messaging/conversations/${invoice}/actions/set-status`,
        'POST',
        { workflow_status: 'needs_approval' },
      );
      assert.equal(moved.status, 200, await moved.clone().text());
      const frame = await stream.next(
        (f) => f.event === 'conversation.updated' && (f.data as { id: string }).id === invoice,
        'the status change',
      );
      assert.equal((frame.data as { workflow_status: string }).workflow_status, 'needs_approval');

      const renamed = await call(`/v1/messaging/conversations/${refund}`, 'PATCH', {
        title: 'Refund for a broken blender',
      });
      assert.equal(renamed.status, 200, await renamed.clone().text());
      const retitled = await stream.next(
        (f) => f.event === 'conversation.updated' && (f.data as { id: string }).id === refund,
        'the PATCH',
      );
      assert.equal((retitled.data as { title: string }).title, 'Refund for a broken blender');

      // A refused change publishes nothing: the next frame is the later, valid one.
      const refused = await call(
        `/v1/messaging/conversations/${parcel}/actions/set-status`,
        'POST',
        { workflow_status: 'no_such_status' },
      );
      assert.equal(refused.status, 400);
      await call(`/v1/messaging/conversations/${invoice}/actions/set-status`, 'POST', {
        workflow_status: 'open',
      });
      const nextFrame = await stream.next(
        (f) => f.event === 'conversation.updated' && (f.data as { id: string }).id !== refund,
        'the next change',
      );
      assert.equal((nextFrame.data as { id: string }).id, invoice, 'not the refused one');
    } finally {
      stream.close();
    }
  });
});
