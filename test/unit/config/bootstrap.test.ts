import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../src/config/config-error.ts';
import { loadBootstrap, parseBootstrap } from '../../../src/config/load-bootstrap.ts';

function example(): Record<string, unknown> {
  return {
    accounts: [
      {
        id: 'acme',
        name: 'Acme',
        api_keys: [
          { name: 'ops', key: 'pk_test_123456', permissions: ['messaging:read', 'admin'] },
        ],
        agents: [
          {
            id: 'drafter',
            name: 'Drafter',
            handle: 'drafter',
            provider: {
              type: 'openai',
              base_url: 'http://127.0.0.1:4010/v1',
              api_key: 'x',
              model: 'gpt-4o-mini',
            },
            instructions: 'Be kind.',
            trigger_policy: 'always',
            trigger_keywords: [],
          },
        ],
        mailboxes: [
          {
            id: 'support',
            address: 'support@acme.test',
            display_name: 'Acme Support',
            imap: {
              host: '127.0.0.1',
              port: 1143,
              secure: false,
              auth: { user: 'support@acme.test', pass: { env: 'IMAP_PASS' } },
              folder: 'INBOX',
            },
            smtp: { host: '127.0.0.1', port: 2525, secure: false },
            agents: ['drafter'],
            delivery: { max_attempts: 8, backoff_ms: 30000 },
          },
        ],
      },
    ],
  };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests poke at arbitrary JSON paths

function refused(json: unknown, env: NodeJS.ProcessEnv, pattern: RegExp): void {
  assert.throws(
    () => parseBootstrap(json, env, 'test.json'),
    (error: unknown) => error instanceof ConfigError && pattern.test(error.message),
  );
}

describe('bootstrap file', () => {
  test('the DESIGN.md example parses, with {"env"} secrets resolved and defaults filled', () => {
    const config = parseBootstrap(example(), { IMAP_PASS: 's3cret' }, 'test.json');
    const mailbox = config.accounts[0]?.mailboxes[0];
    assert.equal(mailbox?.imap?.auth.pass, 's3cret');
    assert.equal(mailbox?.imap?.mark_seen, false);
    assert.equal(mailbox?.delivery.backoff_max_ms, 3_600_000);
    assert.ok(Object.isFrozen(mailbox));
  });

  test('the Sent folder: SPECIAL-USE and no APPEND by default; a path and append_sent when given', () => {
    const defaults = parseBootstrap(example(), { IMAP_PASS: 'x' }, 'test.json');
    const imap = defaults.accounts[0]?.mailboxes[0]?.imap;
    assert.equal(imap?.sent_folder, null);
    assert.equal(imap?.append_sent, false);
    const json: Json = example();
    json.accounts[0].mailboxes[0].imap.sent_folder = 'Sent Items';
    json.accounts[0].mailboxes[0].imap.append_sent = true;
    const given = parseBootstrap(json, { IMAP_PASS: 'x' }, 'test.json').accounts[0]?.mailboxes[0];
    assert.equal(given?.imap?.sent_folder, 'Sent Items');
    assert.equal(given?.imap?.append_sent, true);
    const empty: Json = example();
    empty.accounts[0].mailboxes[0].imap.sent_folder = '';
    refused(empty, { IMAP_PASS: 'x' }, /mailboxes\[0\]\.imap\.sent_folder/);
    const typo: Json = example();
    typo.accounts[0].mailboxes[0].imap.append_sent = 'yes';
    refused(typo, { IMAP_PASS: 'x' }, /mailboxes\[0\]\.imap\.append_sent/);
  });

  test('a secret naming an unset variable is refused with its path', () => {
    refused(
      example(),
      {},
      /accounts\[0\]\.mailboxes\[0\]\.imap\.auth\.pass: environment variable IMAP_PASS is not set/,
    );
  });

  test('an agent without a provider is refused', () => {
    const json: Json = example();
    delete json.accounts[0].agents[0].provider;
    refused(json, { IMAP_PASS: 'x' }, /accounts\[0\]\.agents\[0\]\.provider/);
  });

  test('a keyword agent needs keywords', () => {
    const json: Json = example();
    json.accounts[0].agents[0].trigger_policy = 'keyword';
    refused(json, { IMAP_PASS: 'x' }, /agents\[0\]\.trigger_keywords: a keyword agent needs/);
  });

  test('a mailbox needs exactly one inbound and one outbound way', () => {
    const both: Json = example();
    both.accounts[0].mailboxes[0].drop_folder = '/tmp/drop';
    refused(
      both,
      { IMAP_PASS: 'x' },
      /mailboxes\[0\]\.imap: a mailbox needs exactly one of "imap" or "drop_folder"/,
    );
    const none: Json = example();
    delete none.accounts[0].mailboxes[0].smtp;
    refused(none, { IMAP_PASS: 'x' }, /mailboxes\[0\]\.smtp: a mailbox needs exactly one/);
  });

  test('a mailbox naming an unknown agent is refused', () => {
    const json: Json = example();
    json.accounts[0].mailboxes[0].agents = ['ghost'];
    refused(json, { IMAP_PASS: 'x' }, /mailboxes\[0\]\.agents\[0\]: no agent "ghost"/);
  });

  test('unknown fields, bad permissions, bad ports and duplicate ids are refused', () => {
    const typo: Json = example();
    typo.accounts[0].mailboxes[0].smpt = {};
    refused(typo, { IMAP_PASS: 'x' }, /mailboxes\[0\]/);
    const perm: Json = example();
    perm.accounts[0].api_keys[0].permissions = ['messaging:fly'];
    refused(perm, { IMAP_PASS: 'x' }, /api_keys\[0\]\.permissions\[0\]/);
    const port: Json = example();
    port.accounts[0].mailboxes[0].imap.port = 'imap';
    refused(port, { IMAP_PASS: 'x' }, /imap\.port/);
    const dup: Json = example();
    dup.accounts.push(structuredClone(dup.accounts[0]));
    refused(dup, { IMAP_PASS: 'x' }, /accounts\[1\]\.id: duplicate id "acme"/);
  });

  test('provider credentials: defaults, secrets from the environment, and their rules', () => {
    const json: Json = example();
    json.accounts[0].provider_credentials = [
      { name: 'openai-main', api_key: { env: 'ACME_OPENAI_KEY' } },
      { name: 'local', base_url: 'http://10.0.0.5:8000/v1', api_key: 'sk-local' },
    ];
    const config = parseBootstrap(json, { IMAP_PASS: 'x', ACME_OPENAI_KEY: 'sk-from-env' });
    assert.deepEqual(config.accounts[0]?.provider_credentials, [
      {
        name: 'openai-main',
        type: 'openai',
        base_url: 'https://api.openai.com/v1',
        api_key: 'sk-from-env',
      },
      { name: 'local', type: 'openai', base_url: 'http://10.0.0.5:8000/v1', api_key: 'sk-local' },
    ]);
    assert.deepEqual(
      parseBootstrap(example(), { IMAP_PASS: 'x' }).accounts[0]?.provider_credentials,
      [],
    );

    refused(
      json,
      { IMAP_PASS: 'x' },
      /provider_credentials\[0\]\.api_key: environment variable ACME_OPENAI_KEY is not set/,
    );
    const env = { IMAP_PASS: 'x', ACME_OPENAI_KEY: 'k' };
    const noKey: Json = structuredClone(json);
    delete noKey.accounts[0].provider_credentials[1].api_key;
    refused(noKey, env, /provider_credentials\[1\]\.api_key/);
    const badUrl: Json = structuredClone(json);
    badUrl.accounts[0].provider_credentials[1].base_url = 'ftp://models';
    refused(badUrl, env, /provider_credentials\[1\]\.base_url: must be an http\(s\) URL/);
    const badName: Json = structuredClone(json);
    badName.accounts[0].provider_credentials[1].name = 'has space';
    refused(badName, env, /provider_credentials\[1\]\.name: must be 1-63/);
    const dup: Json = structuredClone(json);
    dup.accounts[0].provider_credentials[1].name = 'openai-main';
    refused(dup, env, /provider_credentials\[1\]\.name: duplicate name "openai-main"/);
    const typo: Json = structuredClone(json);
    typo.accounts[0].provider_credentials[1].apikey = 'x';
    refused(typo, env, /provider_credentials\[1\]/);
  });

  test('mailbox aliases are addresses, unique across the mailboxes and aliases of the account', () => {
    const ok: Json = example();
    ok.accounts[0].mailboxes[0].aliases = ['help@acme.test', 'Desk@Acme.Test'];
    const config = parseBootstrap(ok, { IMAP_PASS: 'x' }, 'test.json');
    assert.deepEqual(config.accounts[0]?.mailboxes[0]?.aliases, [
      'help@acme.test',
      'Desk@Acme.Test',
    ]);
    assert.deepEqual(
      parseBootstrap(example(), { IMAP_PASS: 'x' }, 'test.json').accounts[0]?.mailboxes[0]?.aliases,
      [],
      'none by default',
    );

    const notAnAddress: Json = example();
    notAnAddress.accounts[0].mailboxes[0].aliases = ['help desk'];
    refused(
      notAnAddress,
      { IMAP_PASS: 'x' },
      /mailboxes\[0\]\.aliases\[0\]: must be an email address/,
    );

    const ownAddress: Json = example();
    ownAddress.accounts[0].mailboxes[0].aliases = ['Support+Desk@acme.test'];
    refused(
      ownAddress,
      { IMAP_PASS: 'x' },
      /mailboxes\[0\]\.aliases\[0\]: duplicate address "Support\+Desk@acme\.test": already given as mailboxes\[0\]\.address/,
    );

    const twoMailboxes: Json = example();
    const sales = structuredClone(twoMailboxes.accounts[0].mailboxes[0]);
    sales.id = 'sales';
    sales.address = 'sales@acme.test';
    sales.aliases = ['HELP@acme.test'];
    twoMailboxes.accounts[0].mailboxes[0].aliases = ['help@acme.test'];
    twoMailboxes.accounts[0].mailboxes.push(sales);
    refused(
      twoMailboxes,
      { IMAP_PASS: 'x' },
      /mailboxes\[1\]\.aliases\[0\]: duplicate address "HELP@acme\.test": already given as mailboxes\[0\]\.aliases\[0\]/,
    );

    const sameAddress: Json = example();
    const copy = structuredClone(sameAddress.accounts[0].mailboxes[0]);
    copy.id = 'copy';
    copy.address = 'SUPPORT@acme.test';
    sameAddress.accounts[0].mailboxes.push(copy);
    refused(sameAddress, { IMAP_PASS: 'x' }, /mailboxes\[1\]\.address: duplicate address/);
  });

  test('relative folders are resolved against the config file', () => {
    const json: Json = example();
    delete json.accounts[0].mailboxes[0].imap;
    delete json.accounts[0].mailboxes[0].smtp;
    json.accounts[0].mailboxes[0].drop_folder = 'drop';
    json.accounts[0].mailboxes[0].outbox_folder = 'out';
    const config = parseBootstrap(json, {}, '/etc/postroom/config.json');
    assert.equal(config.accounts[0]?.mailboxes[0]?.drop_folder, '/etc/postroom/drop');
    assert.equal(config.accounts[0]?.mailboxes[0]?.outbox_folder, '/etc/postroom/out');
  });

  test('an unreadable or non-JSON file names POSTROOM_CONFIG', async () => {
    await assert.rejects(
      loadBootstrap('/nonexistent/postroom.json', {}),
      /POSTROOM_CONFIG: cannot read/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'postroom-config-'));
    writeFileSync(join(dir, 'bad.json'), '{ "accounts": [ ');
    await assert.rejects(
      loadBootstrap(join(dir, 'bad.json'), {}),
      /POSTROOM_CONFIG: .* is not valid JSON/,
    );
  });

  test('the example files in config/ are valid, with their env secrets set', async () => {
    const dir = join(import.meta.dirname, '..', '..', '..', 'config');
    for (const name of ['quickstart.json', 'production.example.json']) {
      const text = readFileSync(join(dir, name), 'utf8');
      const env = Object.fromEntries(
        [...text.matchAll(/"env":\s*"([A-Z0-9_]+)"/g)].map((m) => [
          m[1],
          'secret-value-0123456789',
        ]),
      );
      const parsed = await loadBootstrap(join(dir, name), env);
      assert.ok(parsed.accounts.length > 0, name);
    }
  });
});
