// mailbox.auth_failed end to end: a watcher whose IMAP login the test Dovecot
// refuses marks the mailbox auth_failed, and the account's endpoint hears of
// it once, signed, although the watcher keeps retrying the login.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { testImapServer } from '../../support/imap.ts';
import { stopRuntime } from '../../support/helpers.ts';
import { TEST_API_KEY, startTestRuntime, type TestRuntime } from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';

const SECRET = 'whsec_mailbox_secret_000001';
const received: Array<{ signature: string; body: string }> = [];
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    received.push({
      signature: String(request.headers['postroom-signature']),
      body: Buffer.concat(chunks).toString('utf8'),
    });
    response.writeHead(200).end();
  });
});
let runtime: TestRuntime;

before(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  const imap = testImapServer();
  runtime = await startTestRuntime(
    {
      accounts: [
        {
          id: 'acme',
          name: 'Acme',
          api_keys: [{ name: 'test', key: TEST_API_KEY, permissions: ['admin'] }],
          mailboxes: [
            {
              id: 'support',
              address: 'support@acme.test',
              imap: {
                host: imap.host,
                port: imap.port,
                secure: false,
                auth: { user: imap.deniedUserFor('webhook'), pass: imap.password },
                folder: 'INBOX',
              },
              outbox_folder: mkdtempSync(join(tmpdir(), 'postroom-outbox-')),
            },
          ],
          webhooks: [
            {
              id: 'ops',
              url: `http://127.0.0.1:${port}/hook`,
              events: ['mailbox.auth_failed'],
              secret: SECRET,
            },
          ],
        },
      ],
    },
    { roles: 'watcher,webhooks', env: { POSTROOM_OUTBOUND_ALLOW: '127.0.0.1' } },
  );
});
after(async () => {
  await stopRuntime(runtime);
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

test('a refused IMAP login is one signed mailbox.auth_failed event', async () => {
  const [event] = await waitUntil(() => (received.length > 0 ? received : undefined), {
    what: 'the mailbox.auth_failed event',
  });
  assert.ok(event);
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(event.signature) ?? [];
  assert.equal(v1, createHmac('sha256', SECRET).update(`${t}.${event.body}`).digest('hex'));
  const body = JSON.parse(event.body) as {
    type: string;
    account_id: string;
    data: { mailbox_id: string; address: string; error: string };
  };
  assert.equal(body.type, 'mailbox.auth_failed');
  assert.equal(body.account_id, 'acme');
  assert.equal(body.data.mailbox_id, 'support');
  assert.equal(body.data.address, 'support@acme.test');
  assert.match(body.data.error, /AUTHENTICATIONFAILED|Authentication failed/i);
  // The watcher retries the login, but reports the same status once: one event.
  const mailbox = await runtime.context.store.mailboxes.getByKey('acme', 'support');
  assert.equal(mailbox?.sync.status, 'auth_failed');
  assert.equal(received.length, 1);
});
