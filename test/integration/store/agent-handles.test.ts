// "@Drafter" must name one active agent per account, whichever process
// creates agents, and a bootstrap file that renames an agent keeps its handle.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseBootstrap } from '../../../src/config/load-bootstrap.ts';
import { ConfigError } from '../../../src/config/config-error.ts';
import { applyBootstrap } from '../../../src/store/bootstrap.ts';
import { desiredAgent } from '../../../src/store/bootstrap/desired.ts';
import { agentIdFor, type Store } from '../../../src/store/index.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import { openStore, openStoreOn } from './helpers.ts';

const logger = createLogger('silent');
let first: Awaited<ReturnType<typeof openStore>>;
let second: Awaited<ReturnType<typeof openStoreOn>>;

before(async () => {
  first = await openStore('agent-handles');
  // A second "process" on the same database: its own connection and in-process locks.
  second = await openStoreOn(first.uri);
});
after(async () => {
  await second.store.close();
  await first.drop();
});

function bootstrap(agents: Array<{ id: string; handle: string }>) {
  return parseBootstrap(
    {
      accounts: [
        {
          id: 'acme',
          name: 'Acme',
          agents: agents.map((a) => ({
            ...a,
            name: a.id,
            provider: { type: 'template', template: 'Hi' },
          })),
        },
      ],
    },
    {},
    'handles.json',
  );
}

function apiAgent(key: string, handle: string) {
  return {
    ...desiredAgent('acme', {
      id: key,
      name: key,
      handle,
      provider: { type: 'template', template: 'Hi' },
      instructions: '',
      trigger_policy: 'mention',
      trigger_keywords: [],
    }),
    source: 'api' as const,
  };
}

async function create(store: Store, key: string, handle: string) {
  return store.agentAdmin.create(agentIdFor('acme', key), apiAgent(key, handle));
}

describe('agent handles', () => {
  test('two processes creating the same handle at once: exactly one wins', async () => {
    await applyBootstrap(first.store, bootstrap([]), logger);
    for (let round = 0; round < 5; round++) {
      const handle = `Racer${round}`;
      const results = await Promise.all([
        create(first.store, `racer-a-${round}`, handle),
        create(second.store, `racer-b-${round}`, handle.toLowerCase()),
      ]);
      const outcomes = results.map((r) => r.outcome).sort();
      assert.deepEqual(outcomes, ['created', 'handle_taken'], `round ${round}`);
      const winner = results.find((r) => r.outcome === 'created');
      const loser = results.find((r) => r.outcome === 'handle_taken');
      assert.ok(winner?.outcome === 'created' && loser?.outcome === 'handle_taken');
      assert.equal(loser.agent_id, winner.agent._id, 'the answer names the holder');
    }
  });

  test('an update to a handle another agent holds is handle_taken, in any case', async () => {
    const holder = await create(first.store, 'holder', 'Billing');
    const other = await create(first.store, 'other', 'other');
    assert.ok(holder.outcome === 'created' && other.outcome === 'created');
    const taken = await second.store.agentAdmin.update('acme', other.agent._id, {
      handle: 'BILLING',
    });
    assert.deepEqual(taken, { outcome: 'handle_taken', agent_id: holder.agent._id });

    // A disabled agent frees its handle; re-enabling it once another took the handle is refused.
    await first.store.agentAdmin.update('acme', holder.agent._id, { status: 'disabled' });
    const moved = await second.store.agentAdmin.update('acme', other.agent._id, {
      handle: 'billing',
    });
    assert.equal(moved.outcome, 'updated');
    const back = await first.store.agentAdmin.update('acme', holder.agent._id, {
      status: 'active',
    });
    assert.deepEqual(back, { outcome: 'handle_taken', agent_id: other.agent._id });
  });

  test('a bootstrap agent renamed in the file keeps its handle; the old one is disabled', async () => {
    await applyBootstrap(first.store, bootstrap([{ id: 'helper', handle: 'helper' }]), logger);
    const summary = await applyBootstrap(
      first.store,
      bootstrap([{ id: 'assistant', handle: 'Helper' }]),
      logger,
    );
    assert.equal(summary.agents.disabled, 1);
    assert.equal(summary.agents.created, 1);
    const renamed = await first.store.agents.get('acme', agentIdFor('acme', 'assistant'));
    assert.equal(renamed?.status, 'active');
    assert.equal(renamed?.handle_lower, 'helper');
    const old = await first.store.agents.get('acme', agentIdFor('acme', 'helper'));
    assert.equal(old?.status, 'disabled');
  });

  test('a bootstrap handle held by an API agent stops the start naming the setting', async () => {
    const api = await create(first.store, 'support-bot', 'bot');
    assert.equal(api.outcome, 'created');
    await assert.rejects(
      applyBootstrap(first.store, bootstrap([{ id: 'bot', handle: 'Bot' }]), logger),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.setting, 'POSTROOM_CONFIG accounts[0].agents[0].handle');
        assert.match(
          error.problem,
          /"Bot" is the handle of active agent .*created through the API/,
        );
        return true;
      },
    );
  });
});
