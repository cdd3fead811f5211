// OAuth2 mailbox settings, provider presets, and the plain-text login rule.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.ts';
import { changedMailboxes } from '../../../src/config/live-config.ts';
import { parseBootstrap } from '../../../src/config/load-bootstrap.ts';
import { isLoopbackHost, oauth2Endpoint } from '../../../src/config/oauth2-providers.ts';

function config(mailbox: Record<string, unknown>): unknown {
  return {
    accounts: [
      {
        id: 'acme',
        name: 'Acme',
        mailboxes: [
          {
            id: 'support',
            address: 'support@acme.test',
            outbox_folder: '/tmp/outbox',
            ...mailbox,
          },
        ],
      },
    ],
  };
}

const gmail = {
  imap: {
    host: 'imap.gmail.com',
    port: 993,
    secure: true,
    auth: { user: 'a@acme.test', oauth2: true },
  },
  oauth2: {
    provider: 'google',
    client_id: 'id.apps.googleusercontent.com',
    client_secret: { env: 'GOOGLE_SECRET' },
    refresh_token: { env: 'GOOGLE_REFRESH' },
  },
};

function refused(json: unknown, env: NodeJS.ProcessEnv, pattern: RegExp): void {
  assert.throws(
    () => parseBootstrap(json, env, 'test.json'),
    (error: unknown) => error instanceof ConfigError && pattern.test(error.message),
  );
}

describe('OAuth2 mailbox settings', () => {
  test('a Google mailbox parses, secrets from the environment', () => {
    const parsed = parseBootstrap(config(gmail), { GOOGLE_SECRET: 's', GOOGLE_REFRESH: 'r' });
    const mailbox = parsed.accounts[0]?.mailboxes[0];
    assert.equal(mailbox?.oauth2?.client_secret, 's');
    assert.equal(mailbox?.oauth2?.refresh_token, 'r');
    assert.equal(mailbox?.imap?.auth.oauth2, true);
  });

  test('oauth2 login without the oauth2 block, or with both password and oauth2, is refused', () => {
    refused(config({ ...gmail, oauth2: undefined }), {}, /imap\.auth\.oauth2.*"oauth2" settings/);
    refused(
      config({ ...gmail, imap: { ...gmail.imap, auth: { user: 'a', pass: 'p', oauth2: true } } }),
      { GOOGLE_SECRET: 's', GOOGLE_REFRESH: 'r' },
      /imap\.auth.*exactly one of "pass" or "oauth2"/,
    );
  });

  test('a generic provider needs its token_url', () => {
    refused(
      config({ ...gmail, oauth2: { provider: 'generic', client_id: 'c', refresh_token: 'r' } }),
      {},
      /oauth2\.token_url/,
    );
  });

  test('presets: Google and Microsoft 365 token endpoints and scopes', () => {
    assert.deepEqual(oauth2Endpoint({ provider: 'google' }), {
      tokenUrl: 'https://oauth2.googleapis.com/token',
      scope: 'https://mail.google.com/',
    });
    const microsoft = oauth2Endpoint({ provider: 'microsoft', tenant: 'contoso.onmicrosoft.com' });
    assert.equal(
      microsoft.tokenUrl,
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    );
    assert.match(microsoft.scope ?? '', /IMAP\.AccessAsUser\.All/);
    assert.match(microsoft.scope ?? '', /SMTP\.Send/);
    assert.match(microsoft.scope ?? '', /offline_access/);
  });
});

describe('plain-text logins', () => {
  const plain = (host: string, extra: Record<string, unknown> = {}) =>
    config({ imap: { host, port: 143, secure: false, auth: { user: 'u', pass: 'p' }, ...extra } });

  test('to another machine without TLS: refused, naming the mailbox and the setting', () => {
    refused(
      plain('imap.example.com'),
      {},
      /mailboxes\[0\]\.imap\.allow_plaintext_auth.*mailbox "support".*imap\.example\.com/,
    );
  });

  test('allowed with TLS, STARTTLS required, on loopback, or when said so', () => {
    parseBootstrap(plain('imap.example.com', { secure: true, port: 993 }), {});
    parseBootstrap(plain('imap.example.com', { require_tls: true }), {});
    parseBootstrap(plain('imap.example.com', { allow_plaintext_auth: true }), {});
    parseBootstrap(plain('127.0.0.1'), {});
    parseBootstrap(plain('localhost'), {});
    const smtp = config({
      drop_folder: '/tmp/drop',
      outbox_folder: undefined,
      smtp: { host: 'smtp.example.com', port: 25, secure: false, auth: { user: 'u', pass: 'p' } },
    });
    refused(smtp, {}, /smtp\.allow_plaintext_auth/);
  });

  test('loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'a.localhost']) {
      assert.ok(isLoopbackHost(host), host);
    }
    for (const host of ['10.0.0.1', 'imap.gmail.com', '::ffff:10.0.0.1', 'localhost.example']) {
      assert.ok(!isLoopbackHost(host), host);
    }
  });
});

describe('config reload', () => {
  test('only mailboxes whose settings changed are reconnected', () => {
    const env = { GOOGLE_SECRET: 's', GOOGLE_REFRESH: 'r' };
    const before = parseBootstrap(config(gmail), env);
    assert.deepEqual(changedMailboxes(parseBootstrap(config(gmail), env), before), []);
    const after = parseBootstrap(config(gmail), { ...env, GOOGLE_REFRESH: 'r2' });
    assert.deepEqual(changedMailboxes(after, before), [['acme', 'support']]);
  });
});
