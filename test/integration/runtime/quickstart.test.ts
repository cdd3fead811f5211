// The README's quick-start walk-through, as a user runs it: the real process
// with config/quickstart.json (copied next to temporary folders), an .eml in
// the drop folder, the template draft, an approval with curl's request, and
// the reply in the outbox folder, threaded to the customer's mail.
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { testRedisUrl, uniqueName } from '../../support/env.ts';
import { startPostroomProcess, type PostroomProcess } from '../../support/process.ts';
import { dropRedisPrefix } from '../../support/runtime.ts';
import { freePort, waitUntil } from '../../support/wait.ts';

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, checked by the assertions
}

const root = join(import.meta.dirname, '..', '..', '..');
const prefix = uniqueName('quickstart');
let proc: PostroomProcess | undefined;

after(async () => {
  await proc?.stop();
  await dropRedisPrefix(prefix);
});

test('quick start: drop an .eml, approve the template draft, find the reply in the outbox', async () => {
  // config/quickstart.json names ../var/drop and ../var/outbox relative to itself.
  const home = mkdtempSync(join(tmpdir(), 'postroom-quickstart-'));
  mkdirSync(join(home, 'config'));
  copyFileSync(join(root, 'config', 'quickstart.json'), join(home, 'config', 'quickstart.json'));
  const port = await freePort();
  proc = startPostroomProcess({
    POSTROOM_CONFIG: join(home, 'config', 'quickstart.json'),
    PORT: String(port),
    REDIS_URL: testRedisUrl(),
    POSTROOM_QUEUE_PREFIX: prefix,
    POSTROOM_DATA_DIR: join(home, 'var', 'data'),
    LOG_LEVEL: 'info',
  });
  await proc.waitForLog((l) => l.msg === 'postroom started', 'startup');
  // The quick start keeps its data on disk, where the README says.
  assert.ok(existsSync(join(home, 'var', 'data', 'store.sqlite')), 'var/data/store.sqlite');
  const api = `http://127.0.0.1:${port}`;
  const headers = {
    authorization: 'Bearer pk_quickstart_change_me',
    'content-type': 'application/json',
  };
  const get = async (path: string): Promise<Json> =>
    (await (await fetch(`${api}${path}`, { headers })).json()) as Json;

  mkdirSync(join(home, 'var', 'drop'), { recursive: true });
  writeFileSync(
    join(home, 'var', 'drop', 'hello.eml'),
    [
      'From: Jane Customer <jane@example.com>',
      'To: Acme Support <support@acme.test>',
      'Subject: My order has not arrived',
      'Message-ID: <quickstart-1@example.com>',
      'Date: Mon, 23 Nov 2026 09:00:00 +0000',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello, I ordered a lamp two weeks ago and it has not arrived yet.',
      '',
    ].join('\r\n'),
  );

  const conversation = await waitUntil(
    async () =>
      ((await get('/v1/messaging/conversations')).data as Json[]).find(
        (c) => c.workflow_status === 'needs_approval',
      ),
    { what: 'the case to await approval' },
  );
  const draft = (
    (await get(`/v1/messaging/conversations/${conversation.id}/messages?status=draft`))
      .data as Json[]
  )[0];
  assert.match(draft?.body, /Hello Jane Customer,/);
  assert.match(draft?.body, /case #1/);

  const approved = await fetch(`${api}/v1/messaging/messages/${draft?.id}/actions/approve`, {
    method: 'POST',
    headers,
    body: '{}',
  });
  assert.equal(approved.status, 200);
  assert.equal(((await approved.json()) as Json).status, 'scheduled');

  const outbox = join(home, 'var', 'outbox');
  const file = await waitUntil(
    () => readdirSync(outbox, { withFileTypes: true }).find((f) => f.name.endsWith('.eml'))?.name,
    {
      what: 'the reply in the outbox folder',
    },
  );
  const eml = readFileSync(join(outbox, file), 'utf8');
  assert.match(eml, /^In-Reply-To: <quickstart-1@example\.com>/m);
  assert.match(eml, /^Subject: Re: My order has not arrived/m);
  assert.match(eml, /^To: Jane Customer <jane@example\.com>/m);
  const sent = await waitUntil(
    async () =>
      (
        (await get(`/v1/messaging/conversations/${conversation.id}/messages?status=sent`))
          .data as Json[]
      ).find((m) => m.kind === 'agent'),
    { what: 'the reply to be sent' },
  );
  assert.equal(sent.sequence, 2);
  // The case moves just after the reply is marked sent.
  await waitUntil(
    async () =>
      (await get(`/v1/messaging/conversations/${conversation.id}`)).workflow_status ===
      'waiting_external',
    { what: 'the case to wait on the customer' },
  );

  proc.child.kill('SIGTERM');
  assert.equal((await proc.exited).code, 0);
});
