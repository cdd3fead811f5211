// OAuth2 end to end: a private Dovecot whose oauth2 passdb checks bearer tokens
// at a local introspection endpoint, a local token endpoint that rotates the
// refresh token on every refresh and issues access tokens of a few seconds,
// and an SMTP server that takes XOAUTH2. Postroom ingests over XOAUTH2,
// refreshes (saving the rotated token sealed), marks a revoked grant
// auth_failed with its breaker open, and reconnects after PATCH.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { createMailboxCredentials } from '../../../src/credentials/mailbox-credentials.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import { appendMessage, imapUserNames } from '../../support/imap.ts';
import { buildMail, newMessageId } from '../../support/mail-builder.ts';
import {
  accountConfig,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../../support/runtime.ts';
import { startDovecot, type DovecotServer } from '../../support/services/dovecot.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import { waitUntil } from '../../support/wait.ts';

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, checked by the assertions
}

const CLIENT_ID = 'postroom-test-client';
const CLIENT_SECRET = 'client-secret-from-env';
const SECRET_ENV = 'POSTROOM_TEST_OAUTH_CLIENT_SECRET';
// Short enough that a refresh falls inside the test (refreshed halfway: after 2 s).
const ACCESS_TTL_S = 4;

/** The authorization server: token endpoint (rotating refresh tokens) and RFC 7662 introspection. */
class FakeAuthServer {
  readonly refreshTokens = new Set<string>();
  readonly accessTokens = new Map<string, { user: string; expiresAt: number }>();
  /** The refresh token presented by each refresh, accepted or not. */
  readonly refreshCalls: string[] = [];
  /** Every refresh token handed out, in order. */
  readonly issuedRefreshTokens: string[] = [];
  private serial = 0;
  private server: Server | undefined;
  url = '';

  constructor(private readonly user: string) {}

  grant(): string {
    const token = `rt-${++this.serial}-${Math.random().toString(36).slice(2)}`;
    this.refreshTokens.add(token);
    this.issuedRefreshTokens.push(token);
    return token;
  }

  revokeAll(): void {
    this.refreshTokens.clear();
    this.accessTokens.clear();
  }

  tokenIsActive(token: string): boolean {
    const entry = this.accessTokens.get(token);
    return entry !== undefined && entry.expiresAt > Date.now();
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      void readForm(request).then((form) => {
        const answer = (status: number, body: unknown) => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(body));
        };
        if (request.url === '/token') {
          const presented = form.get('refresh_token') ?? '';
          this.refreshCalls.push(presented);
          if (form.get('client_id') !== CLIENT_ID || form.get('client_secret') !== CLIENT_SECRET) {
            return answer(401, { error: 'invalid_client' });
          }
          if (form.get('grant_type') !== 'refresh_token' || !this.refreshTokens.delete(presented)) {
            return answer(400, { error: 'invalid_grant', error_description: 'token revoked' });
          }
          const accessToken = `at-${++this.serial}-${Math.random().toString(36).slice(2)}`;
          this.accessTokens.set(accessToken, {
            user: this.user,
            expiresAt: Date.now() + ACCESS_TTL_S * 1000,
          });
          return answer(200, {
            access_token: accessToken,
            token_type: 'Bearer',
            expires_in: ACCESS_TTL_S,
            refresh_token: this.grant(),
          });
        }
        if (request.url === '/introspect') {
          const token = form.get('token') ?? '';
          return answer(
            200,
            this.tokenIsActive(token)
              ? { active: true, username: this.accessTokens.get(token)?.user }
              : { active: false },
          );
        }
        answer(404, { error: 'not_found' });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const user = imapUserNames.userFor('oauth');
const salesUser = imapUserNames.userFor('sales');
const auth = new FakeAuthServer(user);
let dovecot: DovecotServer;
let smtp: SmtpTestServer;
let runtime: TestRuntime;
let initialRefreshToken: string;

async function mailbox(): Promise<Json> {
  const page = await runtime.json<Json>('/v1/admin/mailboxes');
  return (page.data as Json[]).find((m) => m.id === 'support') as Json;
}

async function storedOAuth(): Promise<Json> {
  const connection = await mongoose.createConnection(runtime.mongoUri).asPromise();
  try {
    const doc = await connection
      .collection('mailboxes')
      .findOne({ account_id: 'acme', key: 'support' });
    return (doc?.credentials?.oauth ?? null) as Json;
  } finally {
    await connection.close();
  }
}

async function conversationWith(messageId: string): Promise<Json> {
  return waitUntil(
    async () => {
      const page = await runtime.json<Json>('/v1/messaging/conversations?limit=100');
      for (const conversation of page.data as Json[]) {
        const messages = await runtime.json<Json>(
          `/v1/messaging/conversations/${conversation.id}/messages?limit=100`,
        );
        if ((messages.data as Json[]).some((m) => m.email?.message_id === messageId)) {
          return conversation;
        }
      }
      return null;
    },
    { what: `message ${messageId} ingested`, timeoutMs: 30_000 },
  );
}

async function deliverOneMail(subject: string): Promise<string> {
  const messageId = newMessageId(subject.replace(/\W/g, ''));
  await appendMessage(dovecot, user, buildMail({ messageId, subject }));
  await conversationWith(messageId);
  return messageId;
}

/** A token used by the watcher is due for refresh (halfway through its life). */
async function waitRefreshDue(): Promise<void> {
  const stored = await storedOAuth();
  const issued = new Date(stored.refreshed_at).getTime();
  const expires = new Date(stored.expires_at).getTime();
  await waitUntil(async () => Date.now() > issued + (expires - issued) / 2 + 50, {
    what: 'the access token to be due for refresh',
    timeoutMs: ACCESS_TTL_S * 1000 + 1000,
  });
}

const outbox = mkdtempSync(join(tmpdir(), 'postroom-oauth-outbox-'));

async function mailboxById(id: string): Promise<Json> {
  const page = await runtime.json<Json>('/v1/admin/mailboxes');
  return (page.data as Json[]).find((m) => m.id === id) as Json;
}

before(async () => {
  await auth.start();
  initialRefreshToken = auth.grant();
  dovecot = await startDovecot({ oauth2IntrospectionUrl: `${auth.url}/introspect` });
  smtp = await startSmtpTestServer({
    xoauth2: (login, token) => login === user && auth.tokenIsActive(token),
  });
  process.env[SECRET_ENV] = CLIENT_SECRET;
  runtime = await startTestRuntime(
    accountConfig([
      {
        id: 'support',
        address: 'support@acme.test',
        imap: {
          host: dovecot.host,
          port: dovecot.port,
          secure: false,
          auth: { user, oauth2: true },
          folder: 'INBOX',
        },
        smtp: { host: smtp.host, port: smtp.port, secure: false, auth: { user, oauth2: true } },
        oauth2: {
          provider: 'generic',
          token_url: `${auth.url}/token`,
          client_id: CLIENT_ID,
          client_secret: { env: SECRET_ENV },
          refresh_token: initialRefreshToken,
          scope: 'mail',
        },
        agents: ['drafter'],
      },
      {
        id: 'sales',
        address: 'sales@acme.test',
        imap: {
          host: dovecot.host,
          port: dovecot.port,
          secure: false,
          auth: { user: salesUser, pass: 'an-old-password' },
          folder: 'INBOX',
        },
        outbox_folder: outbox,
      },
    ]),
    { env: { POSTROOM_AUTH_RETRY_MS: '200', POSTROOM_AUTH_RETRY_MAX_MS: '800' } },
  );
});

after(async () => {
  await runtime?.stop();
  if (runtime) {
    await dropRedisPrefix(runtime.prefix);
    await dropDatabase(runtime.mongoUri);
  }
  await smtp?.stop();
  await dovecot?.stop();
  await auth.stop();
  delete process.env[SECRET_ENV];
  rmSync(outbox, { recursive: true, force: true });
});

describe('OAuth2 (XOAUTH2) mailboxes', () => {
  test('mail is ingested over XOAUTH2; the rotated refresh token is saved sealed', async () => {
    await deliverOneMail('Order over oauth');
    assert.equal(auth.refreshCalls[0], initialRefreshToken);
    const stored = await storedOAuth();
    const rotated = auth.issuedRefreshTokens.at(-1) ?? '';
    assert.notEqual(rotated, initialRefreshToken);
    // Sealed at rest: neither token appears in the document.
    const raw = JSON.stringify(stored);
    assert.ok(!raw.includes(rotated), 'the refresh token is stored in the clear');
    for (const token of auth.accessTokens.keys()) assert.ok(!raw.includes(token));
    const context = `mailbox:mbx_acme_support:refresh`;
    assert.equal(runtime.context.secrets.open(stored.refresh_token, context), rotated);
    const listed = await mailbox();
    assert.equal(listed.sync.status, 'ok');
    assert.equal(listed.breaker.state, 'closed');
  });

  test('replies go out over SMTP XOAUTH2', async () => {
    const page = await runtime.json<Json>('/v1/messaging/conversations?limit=100');
    const conversation = (page.data as Json[])[0] as Json;
    const draft = await waitUntil(
      async () => {
        const page = await runtime.json<Json>(
          `/v1/messaging/conversations/${conversation.id}/messages?status=draft`,
        );
        return (page.data as Json[])[0] ?? null;
      },
      { what: 'a draft' },
    );
    const approved = await runtime.request(`/v1/messaging/messages/${draft.id}/actions/approve`, {
      method: 'POST',
      body: '{}',
    });
    assert.equal(approved.status, 200, await approved.text());
    const [sent] = await smtp.waitForMessages(1, 30_000);
    assert.equal(sent?.authMethod, 'XOAUTH2');
    assert.equal(sent?.user, user);
  });

  test('an expired access token is refreshed (single flight) and the new one saved', async () => {
    const before = await storedOAuth();
    await waitRefreshDue();
    const calls = auth.refreshCalls.length;
    // Two more processes' worth of credentials asking at once: one refresh between them.
    const make = () =>
      createMailboxCredentials({
        store: runtime.context.store,
        redis: runtime.context.redis,
        prefix: runtime.prefix,
        secrets: runtime.context.secrets,
        logger: createLogger('silent'),
        bootstrap: () => runtime.context.bootstrap,
      });
    const record = await runtime.context.store.mailboxes.getByKey('acme', 'support');
    assert.ok(record);
    const [a, b] = await Promise.all([make().imapAuth(record), make().imapAuth(record)]);
    assert.equal(auth.refreshCalls.length, calls + 1);
    assert.ok('accessToken' in a && 'accessToken' in b);
    assert.equal(a.accessToken, b.accessToken);
    const after = await storedOAuth();
    assert.equal(after.version, before.version + 1);
    assert.equal(
      runtime.context.secrets.open(after.refresh_token, 'mailbox:mbx_acme_support:refresh'),
      auth.issuedRefreshTokens.at(-1),
    );
    // The watcher reconnects with the saved token after a server restart.
    await waitRefreshDue();
    await dovecot.restart();
    await deliverOneMail('After the refresh');
  });

  test('a revoked grant: auth_failed, breaker open and backing off; PATCH reconnects', async () => {
    auth.revokeAll();
    await dovecot.restart();
    const failed = await waitUntil(
      async () => {
        const listed = await mailbox();
        return listed.sync.status === 'auth_failed' && listed.breaker.auth_failures >= 2
          ? listed
          : null;
      },
      { what: 'the mailbox to show auth_failed with an open breaker', timeoutMs: 30_000 },
    );
    assert.equal(failed.breaker.state, 'open');
    assert.match(failed.sync.last_error, /invalid_grant|AUTHENTICATIONFAILED|refused/i);
    const gauge = await runtime.context.metrics.mailboxAuthFailures.get();
    const value = gauge.values.find((v) => v.labels.mailbox === 'acme/support')?.value ?? 0;
    assert.ok(value >= 2, `the auth failure gauge reads ${value}`);

    // Validation: wrong kinds of credentials are refused, naming the field.
    const wrongKind = await runtime.request('/v1/admin/mailboxes/support', {
      method: 'PATCH',
      body: JSON.stringify({ imap: { password: 'x' } }),
    });
    assert.equal(wrongKind.status, 400);
    assert.match(((await wrongKind.json()) as Json).error.message, /^body\.imap\.password/);
    const empty = await runtime.request('/v1/admin/mailboxes/support', {
      method: 'PATCH',
      body: JSON.stringify({ oauth2: { refresh_token: '' } }),
    });
    assert.equal(empty.status, 400);
    const missing = await runtime.request('/v1/admin/mailboxes/nope', {
      method: 'PATCH',
      body: JSON.stringify({ oauth2: { refresh_token: 'abc' } }),
    });
    assert.equal(missing.status, 404);

    const patched = await runtime.request('/v1/admin/mailboxes/support', {
      method: 'PATCH',
      body: JSON.stringify({ oauth2: { refresh_token: auth.grant() } }),
    });
    assert.equal(patched.status, 200, await patched.text());
    await deliverOneMail('After re-consent');
    const healthy = await waitUntil(
      async () => {
        const listed = await mailbox();
        return listed.breaker.state === 'closed' && listed.sync.status === 'ok' ? listed : null;
      },
      { what: 'the breaker to close' },
    );
    assert.equal(healthy.breaker.auth_failures, 0);
  });

  test('a new refresh token in the config, reloaded (SIGHUP), is used at once', async () => {
    const path = runtime.context.env.POSTROOM_CONFIG ?? '';
    const json = JSON.parse(readFileSync(path, 'utf8')) as Json;
    const fresh = auth.grant();
    json.accounts[0].mailboxes[0].oauth2.refresh_token = fresh;
    writeFileSync(path, JSON.stringify(json));
    await runtime.reload();
    await waitUntil(async () => auth.refreshCalls.at(-1) === fresh, {
      what: 'a refresh with the reloaded refresh token',
    });
    await deliverOneMail('After the reload');
  });

  test('a refused password: PATCH with the right one reconnects the mailbox', async () => {
    await waitUntil(
      async () => ((await mailboxById('sales')).sync.status === 'auth_failed' ? true : null),
      { what: 'sales to show auth_failed' },
    );
    const patched = await runtime.request('/v1/admin/mailboxes/sales', {
      method: 'PATCH',
      body: JSON.stringify({ imap: { password: dovecot.password } }),
    });
    assert.equal(patched.status, 200, await patched.text());
    const messageId = newMessageId('sales');
    await appendMessage(dovecot, salesUser, buildMail({ messageId, to: 'sales@acme.test' }));
    await conversationWith(messageId);
    const listed = await mailboxById('sales');
    assert.equal(listed.breaker.state, 'closed');
    // Sealed, not in the clear, in MongoDB.
    const connection = await mongoose.createConnection(runtime.mongoUri).asPromise();
    try {
      const doc = await connection.collection('mailboxes').findOne({ key: 'sales' });
      assert.ok(doc?.credentials?.imap_pass?.sealed);
      assert.ok(!JSON.stringify(doc).includes(dovecot.password));
    } finally {
      await connection.close();
    }
  });
});
