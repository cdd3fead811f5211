// Mail whose bodies are larger than a MongoDB document may hold (16 MB): an
// 18.9 MB text/plain mail through the drop folder and through IMAP, and a
// large HTML-only one, are stored; the message keeps the first MiB inline and
// says so, and the API hands the full body back byte for byte.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appendMessage, testImapServer } from '../../support/imap.ts';
import { largeMail, type LargeMail } from '../../support/large-mail.ts';
import {
  accountConfig,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';

const INLINE_BYTES = 1024 * 1024;
const drop = mkdtempSync(join(tmpdir(), 'postroom-drop-'));
const imap = testImapServer();
const user = imap.userFor('large');
let runtime: TestRuntime;

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

const GLOBEX_KEY = 'pk_globex_reader_000001';

before(async () => {
  const config = accountConfig([
    {
      id: 'dropped',
      address: 'dropped@acme.test',
      drop_folder: drop,
      outbox_folder: mkdtempSync(join(tmpdir(), 'postroom-outbox-')),
      agents: ['drafter'],
    },
    {
      id: 'imap',
      address: 'support@acme.test',
      imap: {
        host: imap.host,
        port: imap.port,
        secure: false,
        auth: { user, pass: imap.password },
        folder: 'INBOX',
      },
      outbox_folder: mkdtempSync(join(tmpdir(), 'postroom-outbox-')),
      agents: ['drafter'],
    },
  ]) as { accounts: unknown[] };
  // A second tenant, to show the body routes are scoped to the caller's account.
  config.accounts.push({
    id: 'globex',
    name: 'Globex',
    api_keys: [{ name: 'reader', key: GLOBEX_KEY, permissions: ['messaging:read'] }],
  });
  runtime = await startTestRuntime(config);
});
after(async () => {
  await runtime.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

interface MessageJson {
  id: string;
  body: string;
  body_truncated: boolean;
  has_html: boolean;
}

async function storedMessage(mailbox: string, mail: LargeMail): Promise<MessageJson> {
  const stored = await waitUntil(
    () => runtime.context.store.messages.findByEmailMessageId('acme', mailbox, mail.messageId),
    { what: `the large mail in ${mailbox} to be stored`, timeoutMs: 90_000 },
  );
  return runtime.json<MessageJson>(`/v1/messaging/messages/${stored._id}`);
}

/** The full body through the API: the same bytes as the mail's decoded body. */
async function assertFullBody(path: string, expected: string, contentType: RegExp): Promise<void> {
  const response = await runtime.request(path);
  assert.equal(response.status, 200, path);
  assert.match(response.headers.get('content-type') ?? '', contentType);
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.equal(bytes.length, Buffer.byteLength(expected), `${path}: length`);
  assert.equal(sha256(bytes), sha256(expected), `${path}: content`);
}

function assertInlinePrefix(message: MessageJson, full: string): void {
  assert.equal(message.body_truncated, true);
  const inline = Buffer.byteLength(message.body);
  assert.ok(inline <= INLINE_BYTES && inline > INLINE_BYTES - 4, `inline body of ${inline} bytes`);
  assert.ok(full.startsWith(message.body), 'the inline body is the start of the text');
  assert.ok(!message.body.includes('\uFFFD'), 'no character was cut in half');
}

describe('large mail bodies', () => {
  test('an 18.9 MB text/plain mail dropped in the folder is stored, its text whole', async () => {
    const mail = largeMail(18_900_000);
    writeFileSync(join(drop, 'large.eml'), mail.raw);
    const message = await storedMessage('dropped', mail);
    assertInlinePrefix(message, mail.body);
    await assertFullBody(`/v1/messaging/messages/${message.id}/body`, mail.body, /^text\/plain/);
    await waitUntil(
      () => readdirSync(join(drop, 'processed')).some((f) => f.endsWith('large.eml')),
      { what: 'the file to move to processed/' },
    );
    assert.ok(!existsSync(join(drop, 'failed', 'large.eml')));
  });

  test('an 18.9 MB text/plain mail over IMAP is stored, its text whole', async () => {
    const mail = largeMail(18_900_000);
    await appendMessage(imap, user, mail.raw);
    const message = await storedMessage('imap', mail);
    assertInlinePrefix(message, mail.body);
    await assertFullBody(`/v1/messaging/messages/${message.id}/body`, mail.body, /^text\/plain/);
  });

  test('a large HTML-only mail keeps its whole HTML and its derived text', async () => {
    const mail = largeMail(6_000_000, 'html');
    writeFileSync(join(drop, 'large-html.eml'), mail.raw);
    const message = await storedMessage('dropped', mail);
    assert.equal(message.body_truncated, true);
    assert.equal(message.has_html, true);
    assert.ok(message.body.startsWith('Line 0: the parcel'), 'text derived from the HTML');
    await assertFullBody(`/v1/messaging/messages/${message.id}/html`, mail.body, /^text\/html/);
    const text = await runtime.request(`/v1/messaging/messages/${message.id}/body`);
    const full = await text.text();
    assert.ok(full.startsWith(message.body) && full.length > message.body.length);
    assert.match(full, /Line 40000: the parcel/);
  });

  test('a small mail is not truncated, and its body downloads the same', async () => {
    const mail = largeMail(2_000);
    writeFileSync(join(drop, 'small.eml'), mail.raw);
    const message = await storedMessage('dropped', mail);
    assert.equal(message.body_truncated, false);
    assert.equal(message.has_html, false);
    assert.equal(message.body, mail.body);
    await assertFullBody(`/v1/messaging/messages/${message.id}/body`, mail.body, /^text\/plain/);
    const html = await runtime.request(`/v1/messaging/messages/${message.id}/html`);
    assert.equal(html.status, 404, 'a plain-text mail has no HTML');
    assert.equal(((await html.json()) as { error: { code: string } }).error.code, 'no_html_body');
  });

  test('redacting the case erases the full bodies in GridFS too', async () => {
    const mail = largeMail(3_000_000, 'html');
    writeFileSync(join(drop, 'redacted.eml'), mail.raw);
    await storedMessage('dropped', mail);
    const { store } = runtime.context;
    const record = await store.messages.findByEmailMessageId('acme', 'dropped', mail.messageId);
    const files = [record?.body_files?.text?.gridfs_id, record?.body_files?.html?.gridfs_id];
    assert.ok(files.every(Boolean), 'text and HTML both in GridFS');
    const response = await runtime.request(
      `/v1/messaging/conversations/${record?.conversation_id}/actions/redact`,
      { method: 'POST', body: '{}' },
    );
    assert.equal(response.status, 200, await response.text());
    for (const id of files) assert.equal(await store.files.info('acme', id ?? ''), null);
    const body = await runtime.request(`/v1/messaging/messages/${record?._id}/body`);
    assert.equal(body.status, 404);
    const json = await runtime.json<MessageJson>(`/v1/messaging/messages/${record?._id}`);
    assert.equal(json.body_truncated, false);
    assert.equal(json.has_html, false);
  });

  test("the body routes need a key of the message's account", async () => {
    const mail = largeMail(2_000);
    writeFileSync(join(drop, 'scoped.eml'), mail.raw);
    const message = await storedMessage('dropped', mail);
    for (const path of ['body', 'html']) {
      const url = `${runtime.api}/v1/messaging/messages/${message.id}/${path}`;
      assert.equal((await fetch(url)).status, 401, `${path} without a key`);
      const foreign = await fetch(url, { headers: { authorization: `Bearer ${GLOBEX_KEY}` } });
      assert.equal(foreign.status, 404, `${path} from another account`);
      assert.equal(
        ((await foreign.json()) as { error: { code: string } }).error.code,
        'resource_not_found',
      );
    }
  });
});
