// GET .../conversations/{id}/messages, GET /messages/{id} and attachment
// downloads, through inject() over a real store and GridFS.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type {
  ActorRecord,
  ConversationRecord,
  MessageRecord,
  NewMessage,
} from '../../../src/store/index.ts';
import { ACME, GLOBEX, createActor, createCase, openApi, type ApiHarness } from './helpers.ts';

let api: ApiHarness;
let conversation: ConversationRecord;
let foreignConversation: ConversationRecord;
let author: ActorRecord;
let persona: ActorRecord;
const byName: Record<string, MessageRecord> = {};
const pdfBytes = Buffer.from('%PDF-1.4 pretend this is a PDF\n'.repeat(200));
const pngBytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
let pdfId = '';
let pngId = '';
let svgId = '';
let linkId = '';
let foreignAttachmentId = '';

type MessageJson = Record<string, unknown> & {
  id: string;
  status: string;
  sequence: number | null;
};
interface ListBody {
  data: MessageJson[];
  page_info: { next_page_url: string | null; previous_page_url: string | null };
}

const base = (fields: Partial<NewMessage> = {}): NewMessage => ({
  account_id: ACME,
  conversation_id: conversation._id,
  kind: 'chat',
  visibility: 'internal',
  channel: 'message',
  ...fields,
});

async function get(url: string, key: 'reader' | 'other' | 'approver' = 'reader') {
  return api.call(key, { method: 'GET', url });
}

describe('message reads and attachments', () => {
  before(async () => {
    api = await openApi('api-messages');
    const { store } = api;
    conversation = await createCase(store);
    foreignConversation = await createCase(store, { account_id: GLOBEX });
    author = await createActor(store, ACME, 'user', 'Robin');
    persona = await createActor(store, ACME, 'group', 'Customer Service');

    const pdf = await store.files.put('Rechnung März.pdf', pdfBytes, {
      account_id: ACME,
      purpose: 'attachment',
      content_type: 'application/pdf',
    });
    const png = await store.files.put('logo.png', pngBytes, {
      account_id: ACME,
      purpose: 'attachment',
      content_type: 'image/png',
    });
    const svg = await store.files.put('x.svg', Buffer.from('<svg onload="alert(1)"/>'), {
      account_id: ACME,
      purpose: 'attachment',
      content_type: 'image/svg+xml',
    });
    const foreignFile = await store.files.put('secret.txt', Buffer.from('globex only'), {
      account_id: GLOBEX,
      purpose: 'attachment',
      content_type: 'text/plain',
    });

    // Created in this order; the timeline puts the sent ones first by sequence.
    byName.draft1 = await store.messages.insert(base({ status: 'draft', body: 'draft one' }));
    byName.sent1 = await store.messages.appendSent(
      base({
        kind: 'email',
        visibility: 'external',
        channel: 'email',
        body: 'Hello, my order…',
        email: { from: { name: 'Pat', address: 'pat@example.com' }, message_id: 'a@example.com' },
        attachments: [
          {
            kind: 'file',
            filename: 'Rechnung März.pdf',
            content_type: 'application/pdf',
            size_bytes: pdf.size_bytes,
            gridfs_id: pdf.id,
          },
          {
            kind: 'image',
            filename: 'logo.png',
            content_type: 'image/png',
            size_bytes: png.size_bytes,
            gridfs_id: png.id,
          },
          {
            kind: 'image',
            filename: 'x.svg',
            content_type: 'image/svg+xml',
            size_bytes: 24,
            gridfs_id: svg.id,
          },
          { kind: 'link', url: 'https://example.com/track' },
        ],
      }),
    );
    byName.scheduled1 = await store.messages.insert(
      base({ status: 'scheduled', body: 'later', scheduled_at: new Date(Date.now() + 60_000) }),
    );
    byName.sent2 = await store.messages.appendSent(
      base({ body: 'note', sender_id: persona._id, author_id: author._id }),
    );
    byName.draft2 = await store.messages.insert(base({ status: 'draft', body: 'draft two' }));
    byName.sent3 = await store.messages.appendSent(base({ body: 'third' }));
    const foreign = await store.messages.appendSent({
      account_id: GLOBEX,
      conversation_id: foreignConversation._id,
      kind: 'chat',
      visibility: 'internal',
      channel: 'message',
      body: 'globex',
      attachments: [
        {
          kind: 'file',
          filename: 'secret.txt',
          content_type: 'text/plain',
          gridfs_id: foreignFile.id,
        },
      ],
    });
    byName.foreign = foreign;
    const [pdfAtt, pngAtt, svgAtt, linkAtt] = byName.sent1.attachments;
    pdfId = pdfAtt?._id ?? '';
    pngId = pngAtt?._id ?? '';
    svgId = svgAtt?._id ?? '';
    linkId = linkAtt?._id ?? '';
    foreignAttachmentId = foreign.attachments[0]?._id ?? '';
  });
  after(() => api.close());

  const url = () => `/v1/messaging/conversations/${conversation._id}/messages`;
  const ids = (...names: string[]) => names.map((n) => byName[n]?._id);

  test('every message, sent ones by sequence then the others by created_at', async () => {
    const res = await get(url());
    assert.equal(res.statusCode, 200);
    const body = res.json<ListBody>();
    assert.deepEqual(
      body.data.map((m) => m.id),
      ids('sent1', 'sent2', 'sent3', 'draft1', 'scheduled1', 'draft2'),
    );
    assert.deepEqual(
      body.data.map((m) => m.sequence),
      [1, 2, 3, null, null, null],
    );
  });

  test('pagination crosses from sent to the others without gaps or repeats', async () => {
    const seen: string[] = [];
    let next: string | null = `${url()}?limit=4`;
    let pages = 0;
    while (next) {
      const res = await get(next);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<ListBody>();
      seen.push(...body.data.map((m) => m.id));
      next = body.page_info.next_page_url;
      pages++;
    }
    assert.equal(pages, 2);
    assert.deepEqual(seen, ids('sent1', 'sent2', 'sent3', 'draft1', 'scheduled1', 'draft2'));
  });

  test('status filters (comma-separated or repeated); a bad status is a 400', async () => {
    const res = await get(`${url()}?status=draft,sent`);
    assert.deepEqual(
      res.json<ListBody>().data.map((m) => m.id),
      ids('sent1', 'sent2', 'sent3', 'draft1', 'draft2'),
    );
    const repeated = await get(`${url()}?status=scheduled&status=draft&limit=1`);
    const body = repeated.json<ListBody>();
    assert.deepEqual(
      body.data.map((m) => m.id),
      ids('draft1'),
    );
    assert.match(body.page_info.next_page_url ?? '', /status=scheduled%2Cdraft/);
    const bad = await get(`${url()}?status=sent,deleted`);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /status.*"deleted"/);
  });

  test('messages in the seed shape, sender and author loaded when included', async () => {
    const bare = await get(`/v1/messaging/messages/${byName.sent2?._id}`);
    assert.equal(bare.statusCode, 200);
    // The seed: sender and author are expandable, null unless include[] names them.
    assert.equal(bare.json().sender, null);
    assert.equal(bare.json().author, null);
    assert.equal(bare.json().sender_id, persona._id);
    const unknown = await get(`/v1/messaging/messages/${byName.sent2?._id}?include[]=reactions`);
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().error.message, /^query\.include/);
    const res = await get(
      `/v1/messaging/messages/${byName.sent2?._id}?include[]=sender&include[]=author`,
    );
    assert.equal(res.statusCode, 200);
    const json = res.json();
    assert.equal(json.object, 'chat_message');
    assert.equal(json.sender?.id, persona._id);
    assert.equal(json.sender?.type, 'group');
    assert.equal(json.author?.name, 'Robin');
    assert.equal(json.attachments.object, 'list');

    const email = (await get(`/v1/messaging/messages/${byName.sent1?._id}`)).json();
    assert.equal(email.email.from.address, 'pat@example.com');
    assert.equal(email.attachments.data.length, 4);
    assert.match(
      email.attachments.data[0].url,
      new RegExp(
        `^/v1/messaging/attachments/${pdfId}/download\\?account=acme&expires=\\d+&signature=[\\w-]{43}$`,
      ),
    );
    assert.equal(email.attachments.data[3].url, 'https://example.com/track');
  });

  test('another account’s conversation or message is a 404', async () => {
    const conv = await get(`/v1/messaging/conversations/${foreignConversation._id}/messages`);
    assert.equal(conv.statusCode, 404);
    const msg = await get(`/v1/messaging/messages/${byName.foreign?._id}`);
    assert.equal(msg.statusCode, 404);
    const own = await get(`/v1/messaging/messages/${byName.foreign?._id}`, 'other');
    assert.equal(own.statusCode, 200);
    const perm = await get(url(), 'approver');
    assert.equal(perm.statusCode, 403);
  });

  test('an attachment downloads with its type, length and a UTF-8 filename', async () => {
    const res = await get(`/v1/messaging/attachments/${pdfId}`);
    assert.equal(res.statusCode, 200);
    assert.ok(res.rawPayload.equals(pdfBytes), 'the exact bytes');
    assert.equal(res.headers['content-type'], 'application/pdf');
    assert.equal(res.headers['content-length'], String(pdfBytes.length));
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    const disposition = String(res.headers['content-disposition']);
    assert.match(disposition, /^attachment;/);
    assert.match(disposition, /filename\*=UTF-8''Rechnung%20M%C3%A4rz\.pdf/);
    assert.match(disposition, /filename="Rechnung M_rz\.pdf"/);
  });

  test('raster images are inline; SVG is always a download', async () => {
    const png = await get(`/v1/messaging/attachments/${pngId}`);
    assert.equal(png.statusCode, 200);
    assert.equal(png.headers['content-type'], 'image/png');
    assert.match(String(png.headers['content-disposition']), /^inline;/);
    assert.ok(png.rawPayload.equals(pngBytes));
    const svg = await get(`/v1/messaging/attachments/${svgId}`);
    assert.match(String(svg.headers['content-disposition']), /^attachment;/);
    assert.match(String(svg.headers['content-security-policy']), /sandbox/);
  });

  test('the URL in a message downloads without the API key, until it expires', async () => {
    const email = (await get(`/v1/messaging/messages/${byName.sent1?._id}`)).json();
    const url: string = email.attachments.data[0].url;
    const anonymous = (path: string) => api.app.inject({ method: 'GET', url: path });
    const res = await anonymous(url);
    assert.equal(res.statusCode, 200);
    assert.ok(res.rawPayload.equals(pdfBytes));
    assert.match(String(res.headers['content-disposition']), /^attachment;/);

    const expires = Number(new URL(url, 'http://x').searchParams.get('expires'));
    const validFor = expires - Date.now() / 1000;
    assert.ok(validFor > 3590 && validFor <= 3600 + 300, `valid for ${validFor} s`);

    const refusals: Array<[string, number, string]> = [
      [url.replace(/signature=.{4}/, 'signature=AAAA'), 403, 'invalid_signature'],
      [url.replace('account=acme', 'account=globex'), 403, 'invalid_signature'],
      [url.replace(/expires=\d+/, `expires=${expires + 300}`), 403, 'invalid_signature'],
      [url.replace(pdfId, pngId), 403, 'invalid_signature'],
      [api.signer.attachmentUrl(ACME, pdfId, new Date(Date.now() - 7_200_000)), 403, 'url_expired'],
      [url.replace(/&signature=[^&]+/, ''), 400, 'missing_parameter'],
      [`${url}&extra=1`, 400, 'invalid_parameter'],
    ];
    for (const [path, status, code] of refusals) {
      const refused = await anonymous(path);
      assert.equal(refused.statusCode, status, path);
      assert.equal(refused.json().error.code, code, path);
    }
    // A URL signed for one account never reaches another account's attachment.
    const foreign = await anonymous(api.signer.attachmentUrl(ACME, foreignAttachmentId));
    assert.equal(foreign.statusCode, 404);
  });

  test('unknown, link and other-account attachments are 404s', async () => {
    for (const id of ['att_nope', linkId, foreignAttachmentId]) {
      const res = await get(`/v1/messaging/attachments/${id}`);
      assert.equal(res.statusCode, 404, id);
      assert.equal(res.json().error.type, 'not_found');
    }
    const own = await get(`/v1/messaging/attachments/${foreignAttachmentId}`, 'other');
    assert.equal(own.statusCode, 200);
    assert.equal(own.body, 'globex only');
  });
});
