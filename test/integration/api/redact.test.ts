// POST /v1/messaging/conversations/{id}/actions/redact: content and GridFS
// files go for good, ids/statuses/sequences stay; legal hold blocks it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationRecord, MessageRecord, Store } from '../../../src/store/index.ts';
import { ACME, GLOBEX, createCase, openApi, type ApiHarness } from './helpers.ts';

let api: ApiHarness;

interface Seeded {
  conversation: ConversationRecord;
  email: MessageRecord;
  draft: MessageRecord;
  fileIds: string[];
}

let seeded = 0;

async function seed(store: Store): Promise<Seeded> {
  const messageId = `m${++seeded}@example.com`;
  const conversation = await createCase(store, {
    title: 'Jane Doe: my passport scan',
    participants: [
      { type: 'customer', customer: { name: 'Jane Doe', address: 'jane@example.com' } },
    ],
  });
  const raw = await store.files.put('raw.eml', Buffer.from('From: jane@example.com\r\n\r\nhi'), {
    account_id: ACME,
    purpose: 'raw_source',
  });
  const scan = await store.files.put('passport.jpg', Buffer.from('jpeg bytes'), {
    account_id: ACME,
    purpose: 'attachment',
    content_type: 'image/jpeg',
  });
  const email = await store.messages.appendSent({
    account_id: ACME,
    conversation_id: conversation._id,
    kind: 'email',
    visibility: 'external',
    channel: 'email',
    body: 'My passport number is X123',
    html: '<p>My passport number is X123</p>',
    text_new: 'My passport number is X123',
    subject: 'Passport',
    raw_source_id: raw.id,
    email: {
      message_id: messageId,
      // Some mailers build ids from the sender's address: those ids go too.
      references: [`1234.jane@example.com`],
      from: { name: 'Jane Doe', address: 'jane@example.com' },
      to: [{ name: 'Support', address: 'support@acme.test' }],
      cc: [{ name: 'John Doe', address: 'john@example.com' }],
      subject: 'Passport',
    },
    attachments: [
      {
        kind: 'image',
        filename: 'passport-jane.jpg',
        content_type: 'image/jpeg',
        size_bytes: 10,
        gridfs_id: scan.id,
        checksum: scan.checksum,
      },
    ],
  });
  const draft = await store.messages.insert({
    account_id: ACME,
    conversation_id: conversation._id,
    kind: 'agent',
    visibility: 'external',
    channel: 'email',
    status: 'draft',
    body: 'Dear Jane, thanks for X123',
    subject: 'Re: Passport',
  });
  return { conversation, email, draft, fileIds: [raw.id, scan.id] };
}

async function redact(
  id: string,
  key: 'deleter' | 'writer' | 'admin' = 'deleter',
  payload?: unknown,
) {
  return api.call(key, {
    method: 'POST',
    url: `/v1/messaging/conversations/${id}/actions/redact`,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

describe('redact', () => {
  before(async () => {
    api = await openApi('api-redact');
  });
  after(() => api.close());

  test('overwrites every message’s content, deletes the files, keeps the timeline', async () => {
    const { conversation, email, draft, fileIds } = await seed(api.store);
    const res = await api.call('deleter', {
      method: 'POST',
      url: `/v1/messaging/conversations/${conversation._id}/actions/redact?include[]=participants`,
    });
    assert.equal(res.statusCode, 200, res.body);
    const json = res.json();
    assert.equal(json.object, 'conversation');
    assert.ok(!res.body.includes('jane@example.com'), 'the customer’s address is gone');
    assert.ok(!res.body.includes('Jane'), 'and the name');
    assert.equal(json.participants.data[0].customer.address, '[redacted]');
    assert.ok(json.redacted_at);
    assert.equal(json.title, null, 'the title quoted the subject');

    for (const id of fileIds) {
      assert.equal(await api.store.files.info(ACME, id), null, `GridFS file ${id} deleted`);
    }

    const stored = await api.store.messages.get(ACME, email._id);
    assert.ok(stored);
    assert.equal(stored.body, null);
    assert.equal(stored.html, null);
    assert.equal(stored.text_new, null);
    assert.equal(stored.subject, null);
    assert.equal(stored.raw_source_id, null);
    assert.ok(stored.redacted_at);
    assert.equal(stored.status, 'sent');
    assert.equal(stored.sequence, email.sequence);
    assert.equal(stored.email?.message_id, email.email?.message_id, 'the dedupe key stays');
    assert.deepEqual(stored.email?.from, { name: null, address: '[redacted]' });
    assert.deepEqual(stored.email?.cc, [{ name: null, address: '[redacted]' }]);
    assert.match(stored.email?.references[0] ?? '', /^redacted\.[0-9a-f]{32}@redacted\.invalid$/);
    assert.equal(stored.email?.subject, null);
    assert.equal(stored.attachments[0]?._id, email.attachments[0]?._id, 'attachment ids stay');
    assert.equal(stored.attachments[0]?.filename, null);
    assert.equal(stored.attachments[0]?.gridfs_id, null);

    const storedDraft = await api.store.messages.get(ACME, draft._id);
    assert.equal(storedDraft?.body, null);
    assert.equal(storedDraft?.status, 'rejected', 'a redacted draft can no longer be approved');
    assert.equal(storedDraft?.rejection?.reason, 'conversation_redacted');
    assert.ok(stored.deleted_at, 'the seed tombstone is set');

    // Through the API too, and the download is gone.
    const list = await api.call('reader', {
      method: 'GET',
      url: `/v1/messaging/conversations/${conversation._id}/messages`,
    });
    const data = list.json().data as Array<{
      body: string | null;
      deleted_at: string | null;
      attachments: { data: Array<{ url: string | null }> } | null;
    }>;
    assert.deepEqual(
      data.map((m) => m.body),
      [null, null],
    );
    assert.ok(data.every((m) => m.deleted_at !== null));
    const withAttachment = data.find((m) => (m.attachments?.data.length ?? 0) > 0);
    assert.equal(withAttachment?.attachments?.data[0]?.url, null, 'no file, no URL (the seed)');
    assert.ok(!list.body.includes('X123'), 'nothing of the content left');
    assert.ok(!list.body.includes('jane@example.com'));
    const download = await api.call('reader', {
      method: 'GET',
      url: `/v1/messaging/attachments/${email.attachments[0]?._id}`,
    });
    assert.equal(download.statusCode, 404);
  });

  test('is idempotent: a repeat answers 200 and finds nothing left', async () => {
    const { conversation } = await seed(api.store);
    const keyed = { 'idempotency-key': `redact-${conversation._id}` };
    const url = `/v1/messaging/conversations/${conversation._id}/actions/redact`;
    const first = await api.call('deleter', { method: 'POST', url, headers: keyed });
    assert.equal(first.statusCode, 200);
    const second = await redact(conversation._id, 'deleter', {});
    assert.equal(second.statusCode, 200, second.body);
    assert.ok(second.json().redacted_at);
    // The first redaction's reply is the redacted case: replaying it stays possible.
    const replay = await api.call('deleter', { method: 'POST', url, headers: keyed });
    assert.equal(replay.statusCode, 200, replay.body);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
  });

  test('legal hold blocks it with 409, leaving everything in place', async () => {
    const { conversation, email, fileIds } = await seed(api.store);
    const hold = await api.call('admin', {
      method: 'POST',
      url: `/v1/messaging/conversations/${conversation._id}/actions/set-legal-hold`,
      payload: { legal_hold: 'held' },
    });
    assert.equal(hold.statusCode, 200);
    const res = await redact(conversation._id);
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'legal_hold');
    const stored = await api.store.messages.get(ACME, email._id);
    assert.equal(stored?.body, 'My passport number is X123');
    for (const id of fileIds) assert.ok(await api.store.files.info(ACME, id));
    const conv = await api.store.conversations.get(ACME, conversation._id);
    assert.equal(conv?.redacted_at, null);
  });

  test('403 without messaging:delete; 404 for another account; 400 for a body', async () => {
    const { conversation, email } = await seed(api.store);
    const forbidden = await redact(conversation._id, 'writer');
    assert.equal(forbidden.statusCode, 403);
    assert.match(forbidden.json().error.message, /messaging:delete/);
    const foreign = await createCase(api.store, { account_id: GLOBEX });
    const hidden = await redact(foreign._id);
    assert.equal(hidden.statusCode, 404);
    const withBody = await redact(conversation._id, 'deleter', { reason: 'gdpr' });
    assert.equal(withBody.statusCode, 400);
    const stored = await api.store.messages.get(ACME, email._id);
    assert.equal(stored?.body, 'My passport number is X123', 'nothing redacted on failures');
  });
});
