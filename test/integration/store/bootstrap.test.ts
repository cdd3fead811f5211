import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bootstrap } from '../../../src/config/bootstrap-schema.ts';
import { parseBootstrap } from '../../../src/config/load-bootstrap.ts';
import { dumpCollection, listCollections } from '../../../src/store/admin.ts';
import { applyBootstrap } from '../../../src/store/bootstrap.ts';
import type { Store } from '../../../src/store/connect.ts';
import { sha256Hex } from '../../../src/store/ids.ts';
import { capturedLogger } from '../../support/helpers.ts';
import { openStore } from './helpers.ts';

const OPS_KEY = 'pk_test_ops_0123456789';
const READER_KEY = 'pk_test_reader_abcdef';
const SECRETS = [
  OPS_KEY,
  READER_KEY,
  'imap-password-xyz',
  'smtp-password-xyz',
  'sk-provider-secret',
];

/** The test file; `mutate` edits the acme account, and returns false to leave globex out. */
function file(
  mutate: (acme: ReturnType<typeof acmeJson>) => boolean | void = () => undefined,
): Bootstrap {
  const acme = acmeJson();
  const keepGlobex = mutate(acme) !== false;
  const json = { accounts: [acme, ...(keepGlobex ? [{ id: 'globex', name: 'Globex' }] : [])] };
  return parseBootstrap(json, { PROVIDER_KEY: 'sk-provider-secret' }, '/etc/postroom/config.json');
}

function acmeJson() {
  return {
    id: 'acme',
    name: 'Acme',
    api_keys: [
      { name: 'ops', key: OPS_KEY, permissions: ['admin'] },
      { name: 'reader', key: READER_KEY, permissions: ['messaging:read'] },
    ],
    agents: [
      {
        id: 'drafter',
        name: 'Drafter',
        handle: 'drafter',
        provider: { type: 'openai', api_key: { env: 'PROVIDER_KEY' }, model: 'gpt-4o-mini' },
        instructions: 'Be kind.',
      },
      {
        id: 'triage',
        name: 'Triage',
        handle: 'triage',
        provider: { type: 'template', template: 'Thanks!' },
        trigger_policy: 'keyword',
        trigger_keywords: ['refund'],
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
          auth: { user: 'support@acme.test', pass: 'imap-password-xyz' },
        },
        smtp: {
          host: '127.0.0.1',
          port: 2525,
          auth: { user: 'support', pass: 'smtp-password-xyz' },
        },
        agents: ['drafter'],
      },
    ],
  };
}

let store: Store;
let drop: () => Promise<void>;

async function snapshot(): Promise<Record<string, Array<Record<string, unknown>>>> {
  const out: Record<string, Array<Record<string, unknown>>> = {};
  for (const name of await listCollections(store)) {
    out[name] = (await dumpCollection(store, name)).sort((a, b) =>
      String(a._id).localeCompare(String(b._id)),
    );
  }
  return out;
}

describe('applyBootstrap', () => {
  before(async () => {
    ({ store, drop } = await openStore('store-boot'));
  });
  after(async () => drop());

  test('creates accounts, keys (with actors), agents (with actors) and mailboxes', async () => {
    const { logger, text } = capturedLogger();
    const summary = await applyBootstrap(store, file(), logger);
    assert.equal(summary.accounts.created, 2);
    assert.equal(summary.api_keys.created, 2);
    assert.equal(summary.agents.created, 2);
    assert.equal(summary.mailboxes.created, 1);

    const account = await store.accounts.get('acme');
    assert.equal(account?.name, 'Acme');
    assert.equal(account?.settings.agent_runs_per_conversation_per_hour, 20);

    const key = await store.apiKeys.findByToken(OPS_KEY);
    assert.ok(key);
    assert.equal(key.account_id, 'acme');
    assert.deepEqual(key.permissions, ['admin']);
    assert.equal(key.key_hash, sha256Hex(OPS_KEY));
    assert.equal(key.display, 'pk_t…6789');
    const keyActor = await store.actors.get('acme', key.actor_id);
    assert.equal(keyActor?.type, 'api_key');
    assert.equal(keyActor?.handle, 'pk_t…6789');

    const agent = await store.agents.getByKey('acme', 'drafter');
    assert.equal(agent?._id, 'agt_acme_drafter');
    assert.equal(agent?.instructions_version, sha256Hex('Be kind.').slice(0, 12));
    assert.equal(agent?.provider.type, 'openai');
    const agentActor = await store.actors.get('acme', 'agt_acme_drafter');
    assert.equal(agentActor?.type, 'agent');
    assert.equal(agentActor?.name, 'Drafter');

    const mailbox = await store.mailboxes.getByKey('acme', 'support');
    assert.equal(mailbox?._id, 'mbx_acme_support');
    assert.equal(mailbox?.imap?.user, 'support@acme.test');
    assert.deepEqual(mailbox?.agent_ids, ['agt_acme_drafter']);
    assert.equal(mailbox?.sync.status, 'idle');
    assert.equal(mailbox?.sync.last_uid, 0);

    const log = text();
    assert.match(log, /bootstrap applied/);
    for (const secret of SECRETS) assert.ok(!log.includes(secret), `log holds ${secret}`);
  });

  test('no secret is stored anywhere in the database', async () => {
    const everything = JSON.stringify(await snapshot());
    for (const secret of SECRETS)
      assert.ok(!everything.includes(secret), `database holds ${secret}`);
  });

  test('applying the same file again changes nothing, not even updated_at', async () => {
    const before = await snapshot();
    const summary = await applyBootstrap(store, file(), capturedLogger().logger);
    assert.equal(summary.accounts.unchanged, 2);
    assert.equal(summary.api_keys.unchanged, 2);
    assert.equal(summary.agents.unchanged, 2);
    assert.equal(summary.mailboxes.unchanged, 1);
    for (const kind of ['accounts', 'api_keys', 'agents', 'mailboxes'] as const) {
      assert.equal(summary[kind].created + summary[kind].updated, 0, kind);
    }
    assert.deepEqual(await snapshot(), before);
  });

  test('a changed field is updated (and only that document gets a new updated_at)', async () => {
    const agentBefore = await store.agents.getByKey('acme', 'drafter');
    const triageBefore = await store.agents.getByKey('acme', 'triage');
    const summary = await applyBootstrap(
      store,
      file((acme) => {
        const drafter = acme.agents[0];
        if (drafter) drafter.instructions = 'Be very kind.';
      }),
      capturedLogger().logger,
    );
    assert.equal(summary.agents.updated, 1);
    assert.equal(summary.agents.unchanged, 1);
    const agent = await store.agents.getByKey('acme', 'drafter');
    assert.equal(agent?.instructions, 'Be very kind.');
    assert.equal(agent?.instructions_version, sha256Hex('Be very kind.').slice(0, 12));
    assert.ok(agent && agentBefore && agent.updated_at > agentBefore.updated_at);
    assert.deepEqual(agent?.created_at, agentBefore?.created_at);
    assert.deepEqual(await store.agents.getByKey('acme', 'triage'), triageBefore);
  });

  test('mailbox config changes never overwrite the sync state', async () => {
    await store.mailboxes.updateSync('acme', 'support', {
      uidvalidity: '1700000000',
      last_uid: 42,
      status: 'ok',
      last_sync_at: new Date(),
    });
    await applyBootstrap(
      store,
      file((acme) => {
        const mailbox = acme.mailboxes[0];
        if (mailbox) mailbox.display_name = 'Acme Help';
      }),
      capturedLogger().logger,
    );
    const mailbox = await store.mailboxes.getByKey('acme', 'support');
    assert.equal(mailbox?.display_name, 'Acme Help');
    assert.equal(mailbox?.sync.uidvalidity, '1700000000');
    assert.equal(mailbox?.sync.last_uid, 42);
    assert.equal(mailbox?.sync.status, 'ok');
  });

  test('a new key value for the same name replaces the hash; the old key stops working', async () => {
    const before = await store.apiKeys.findByToken(OPS_KEY);
    const newKey = 'pk_live_rotated_999999';
    await applyBootstrap(
      store,
      file((acme) => {
        const ops = acme.api_keys[0];
        if (ops) ops.key = newKey;
      }),
      capturedLogger().logger,
    );
    assert.equal(await store.apiKeys.findByToken(OPS_KEY), null);
    const after = await store.apiKeys.findByToken(newKey);
    assert.equal(after?._id, before?._id);
    assert.equal(after?.actor_id, before?.actor_id);
    assert.equal(after?.display, 'pk_l…9999');
    const actor = after ? await store.actors.get('acme', after.actor_id) : null;
    assert.equal(actor?.handle, 'pk_l…9999');
    const everything = JSON.stringify(await snapshot());
    assert.ok(!everything.includes(newKey));
  });

  test('removing things from the file deletes nothing: keys are revoked, agents disabled', async () => {
    const counts = async () =>
      Object.fromEntries(
        Object.entries(await snapshot()).map(([name, docs]) => [name, docs.length]),
      );
    const before = await counts();
    const summary = await applyBootstrap(
      store,
      file((acme) => {
        acme.api_keys = acme.api_keys.filter((k) => k.name !== 'reader');
        acme.agents = acme.agents.filter((a) => a.id !== 'triage');
        acme.mailboxes = [];
        return false;
      }),
      capturedLogger().logger,
    );
    assert.equal(summary.api_keys.revoked, 1);
    assert.equal(summary.agents.disabled, 1);
    assert.deepEqual(await counts(), before);
    assert.equal(await store.apiKeys.findByToken(READER_KEY), null);
    assert.equal((await store.agents.getByKey('acme', 'triage'))?.status, 'disabled');
    assert.ok(await store.mailboxes.getByKey('acme', 'support'));
    assert.ok(await store.accounts.get('globex'));

    // Back in the file: usable / active again.
    await applyBootstrap(store, file(), capturedLogger().logger);
    assert.ok(await store.apiKeys.findByToken(READER_KEY));
    assert.equal((await store.agents.getByKey('acme', 'triage'))?.status, 'active');
  });

  test('two processes applying the same file at once end with one copy of everything', async () => {
    const { store: other, drop: dropOther } = await openStore('store-boot-race');
    try {
      const config = file();
      await Promise.all([
        applyBootstrap(other, config, capturedLogger().logger),
        applyBootstrap(other, config, capturedLogger().logger),
      ]);
      assert.equal((await other.apiKeys.list('acme')).length, 2);
      assert.equal((await other.agents.list('acme')).length, 2);
      assert.equal((await other.mailboxes.list('acme')).length, 1);
      assert.equal((await other.accounts.list()).length, 2);
    } finally {
      await dropOther();
    }
  });
});
