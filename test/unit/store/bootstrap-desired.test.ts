import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBootstrap } from '../../../src/config/load-bootstrap.ts';
import {
  desiredAgent,
  desiredApiKey,
  desiredMailbox,
  instructionsVersion,
  redactKey,
} from '../../../src/store/bootstrap/desired.ts';
import { canonical, changedFields } from '../../../src/store/bootstrap/diff.ts';
import { sha256Hex } from '../../../src/store/ids.ts';

const config = parseBootstrap(
  {
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
            provider: { type: 'openai', api_key: 'sk-secret-provider-key', model: 'gpt-4o-mini' },
            instructions: 'Be kind.',
          },
          {
            id: 'canned',
            name: 'Canned',
            handle: 'canned',
            provider: { type: 'template', template: 'Hi!' },
          },
        ],
        mailboxes: [
          {
            id: 'support',
            address: 'Support@Acme.test',
            aliases: ['Help@Acme.test'],
            imap: {
              host: 'h',
              port: 1143,
              secure: true,
              auth: { user: 'support@acme.test', pass: 'imap-secret' },
            },
            smtp: { host: 'h', port: 2525, secure: true, auth: { user: 'u', pass: 'smtp-secret' } },
            agents: ['drafter'],
          },
          {
            id: 'drop',
            address: 'drop@acme.test',
            drop_folder: '/tmp/in',
            outbox_folder: '/tmp/out',
          },
        ],
      },
    ],
  },
  {},
  '/etc/postroom.json',
);
const account = config.accounts[0];
assert.ok(account);

describe('bootstrap: desired documents', () => {
  test('api keys: sha256 hash and a redacted display, never the key', () => {
    const key = account.api_keys[0];
    assert.ok(key);
    const desired = desiredApiKey('acme', key);
    assert.equal(desired.key_hash, sha256Hex('pk_test_123456'));
    assert.equal(desired.display, 'pk_t…3456');
    assert.equal(redactKey('pk_test_123'), 'pk_t…_123');
    assert.ok(!JSON.stringify(desired).includes('pk_test_123456'));
    assert.equal(desired.source, 'bootstrap');
    assert.equal(desired.revoked_at, null);
  });

  test('agents: no provider key; instructions_version is the first 12 hex of sha256', () => {
    const [openai, template] = account.agents.map((a) => desiredAgent('acme', a));
    assert.ok(openai && template);
    assert.ok(!JSON.stringify(openai).includes('sk-secret-provider-key'));
    assert.deepEqual(openai.provider, {
      type: 'openai',
      base_url: null,
      model: 'gpt-4o-mini',
      temperature: null,
      max_output_tokens: null,
      credential: null,
      api_key_sealed: null,
    });
    assert.equal(openai.instructions_version, sha256Hex('Be kind.').slice(0, 12));
    assert.equal(instructionsVersion(''), sha256Hex('').slice(0, 12));
    assert.deepEqual(template.provider, { type: 'template', template: 'Hi!' });
    assert.equal(openai.trigger_policy, 'always');
  });

  test('mailboxes: no passwords; kinds, lower-cased address and agent ids', () => {
    const [imap, drop] = account.mailboxes.map((m) => desiredMailbox('acme', m));
    assert.ok(imap && drop);
    const text = JSON.stringify([imap, drop]);
    assert.ok(!text.includes('imap-secret') && !text.includes('smtp-secret'));
    assert.equal(imap.kind, 'imap');
    assert.equal(imap.address, 'support@acme.test');
    assert.deepEqual(imap.aliases, ['help@acme.test']);
    assert.deepEqual(drop.aliases, []);
    assert.equal(imap.imap?.user, 'support@acme.test');
    assert.equal(imap.outbound.kind, 'smtp');
    assert.equal(imap.outbound.smtp?.pool_size, 5);
    assert.deepEqual(imap.agent_ids, ['agt_acme_drafter']);
    assert.equal(imap.delivery.max_attempts, 8);
    assert.equal(drop.kind, 'drop_folder');
    assert.equal(drop.imap, null);
    assert.equal(drop.drop_folder, '/tmp/in');
    assert.deepEqual(drop.outbound, {
      kind: 'outbox_folder',
      smtp: null,
      outbox_folder: '/tmp/out',
    });
    assert.ok(!('sync' in imap));
  });
});

describe('bootstrap: change detection', () => {
  test('canonical ignores key order and treats absent like null', () => {
    assert.deepEqual(
      canonical({ b: 1, a: { d: null, c: [2] } }),
      canonical({ a: { c: [2] }, b: 1 }),
    );
    assert.deepEqual(canonical(new Date(0)), '1970-01-01T00:00:00.000Z');
  });

  test('changedFields lists only the differing owned fields', () => {
    const stored = { _id: 'x', name: 'A', settings: { n: 1 }, list: ['a', 'b'], extra: 5 };
    assert.deepEqual(
      changedFields(stored, { name: 'A', settings: { n: 1 }, list: ['a', 'b'] }),
      {},
    );
    assert.deepEqual(changedFields(stored, { name: 'B', settings: { n: 1 } }), { name: 'B' });
    assert.deepEqual(changedFields(stored, { list: ['b', 'a'] }), { list: ['b', 'a'] });
    assert.deepEqual(changedFields(stored, { missing: null }), {});
    assert.deepEqual(changedFields(stored, { settings: { n: 2 } }), { settings: { n: 2 } });
  });
});
