// Unread per caller: `unread` (seed A) and `unread_message_count` (seed B) on
// the conversation and its list rows count the sent messages the caller has
// not read, never their own; POST .../actions/mark-read {up_to_sequence?}
// moves the caller's read marker forward.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationRecord } from '../../../src/store/index.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { ACME, KEYS, call, errorOf, startUsersRuntime, stopRuntime, type Json } from './helpers.ts';

let runtime: TestRuntime;
type Caller = keyof typeof KEYS;
type ConversationJson = Json & { unread: number; unread_message_count: number };

async function note(conversation: ConversationRecord, key: Caller, body: string): Promise<Json> {
  const response = await call(runtime, key, 'POST', messagesOf(conversation), {
    body,
    visibility: 'internal',
    channel: 'message',
  });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as Json;
}

const messagesOf = (c: ConversationRecord) => `/v1/messaging/conversations/${c._id}/messages`;
const markReadOf = (c: ConversationRecord) =>
  `/v1/messaging/conversations/${c._id}/actions/mark-read`;

async function unreadOf(conversation: ConversationRecord, key: Caller): Promise<number> {
  const response = await call(
    runtime,
    key,
    'GET',
    `/v1/messaging/conversations/${conversation._id}`,
  );
  assert.equal(response.status, 200, await response.clone().text());
  const json = (await response.json()) as ConversationJson;
  assert.equal(json.unread_message_count, json.unread);
  return json.unread;
}

async function listedUnread(conversation: ConversationRecord, key: Caller): Promise<number> {
  const response = await call(runtime, key, 'GET', '/v1/messaging/conversations?limit=100');
  assert.equal(response.status, 200, await response.clone().text());
  const { data } = (await response.json()) as { data: ConversationJson[] };
  const row = data.find((c) => c.id === conversation._id);
  assert.ok(row, 'the conversation is listed');
  assert.equal(row.unread_message_count, row.unread);
  return row.unread;
}

async function markRead(
  conversation: ConversationRecord,
  key: Caller,
  body: unknown = {},
): Promise<Response> {
  return call(runtime, key, 'POST', markReadOf(conversation), body);
}

function room(title: string): Promise<ConversationRecord> {
  return runtime.context.store.conversations.create({
    account_id: ACME,
    type: 'group',
    audience: 'internal',
    title,
  });
}

describe('unread per caller', () => {
  before(async () => {
    runtime = await startUsersRuntime();
  });
  after(() => stopRuntime(runtime));

  test("each caller counts the others' messages, never their own, on the conversation and the list", async () => {
    const conversation = await room('Counting');
    await note(conversation, 'admin', 'one');
    await note(conversation, 'admin', 'two');
    await note(conversation, 'robin', 'three');
    assert.equal(await unreadOf(conversation, 'robin'), 2);
    assert.equal(await unreadOf(conversation, 'admin'), 1);
    assert.equal(await unreadOf(conversation, 'sam'), 3);
    assert.equal(await listedUnread(conversation, 'robin'), 2);
    assert.equal(await listedUnread(conversation, 'admin'), 1);
    assert.equal(await listedUnread(conversation, 'sam'), 3);
  });

  test('mark-read drops the count for that caller only; new messages count again', async () => {
    const conversation = await room('Reading');
    await note(conversation, 'admin', 'one');
    await note(conversation, 'admin', 'two');
    const response = await markRead(conversation, 'robin');
    assert.equal(response.status, 200, await response.clone().text());
    const json = (await response.json()) as ConversationJson;
    assert.equal(json.object, 'conversation');
    assert.equal(json.id, conversation._id);
    assert.equal(json.unread, 0);
    assert.equal(json.unread_message_count, 0);
    assert.equal(await listedUnread(conversation, 'robin'), 0);
    assert.equal(await unreadOf(conversation, 'sam'), 2);

    await note(conversation, 'admin', 'three');
    assert.equal(await unreadOf(conversation, 'robin'), 1);
    // Robin's own reply does not count, and the earlier one still does.
    await note(conversation, 'robin', 'four');
    assert.equal(await unreadOf(conversation, 'robin'), 1);
  });

  test('up_to_sequence reads part of the conversation; the marker never moves back', async () => {
    const conversation = await room('Partly');
    for (const text of ['one', 'two', 'three', 'four']) await note(conversation, 'admin', text);
    // Sam may only read, and reading is enough to mark read.
    let response = await markRead(conversation, 'sam', { up_to_sequence: 3 });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(((await response.json()) as ConversationJson).unread, 1);
    response = await markRead(conversation, 'sam', { up_to_sequence: 1 });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as ConversationJson).unread, 1);
    response = await markRead(conversation, 'sam', { up_to_sequence: 0 });
    assert.equal(((await response.json()) as ConversationJson).unread, 1);
    assert.equal(await unreadOf(conversation, 'sam'), 1);
  });

  test('bad input is refused naming the problem', async () => {
    const conversation = await room('Refusals');
    await note(conversation, 'admin', 'one');
    let response = await markRead(conversation, 'robin', { up_to_sequence: 2 });
    assert.equal(response.status, 422);
    assert.equal((await errorOf(response)).code, 'sequence_out_of_range');
    for (const body of [{ up_to_sequence: -1 }, { up_to_sequence: 1.5 }, { up_to_sequence: '1' }]) {
      response = await markRead(conversation, 'robin', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match((await errorOf(response)).message, /^body\.up_to_sequence/);
    }
    response = await markRead(conversation, 'robin', { seq: 1 });
    assert.equal(response.status, 400);
    assert.equal((await markRead(conversation, 'robin', { up_to_sequence: 1 })).status, 200);
  });

  test("another account can neither mark nor see this conversation's reads", async () => {
    const conversation = await room('Private');
    await note(conversation, 'admin', 'one');
    const response = await markRead(conversation, 'globex');
    assert.equal(response.status, 404);
    assert.equal((await errorOf(response)).type, 'not_found');
    assert.equal(await unreadOf(conversation, 'robin'), 1);
  });
});
