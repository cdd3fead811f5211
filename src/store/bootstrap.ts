// Apply the POSTROOM_CONFIG bootstrap file to the database at start:
// accounts, API keys (hashed), agents (with their actors) and mailboxes are
// created or updated by id. Idempotent: an unchanged file writes nothing.
// Never deletes: a key gone from the file is revoked, an agent gone from it is
// disabled, a mailbox gone from it is left alone (it has no credentials, so no
// watcher can use it). Logs counts only, never a secret.
import type { AccountConfig, Bootstrap } from '../config/bootstrap-schema.ts';
import type { Logger } from '../platform/logger.ts';
import {
  desiredAccount,
  desiredAgent,
  desiredApiKey,
  desiredMailbox,
} from './bootstrap/desired.ts';
import { upsertOwned, type Outcome } from './bootstrap/upsert.ts';
import { internalsOf, type Store } from './connect.ts';
import { agentIdFor, mailboxIdFor, newId } from './ids.ts';
import type { Models } from './models/index.ts';
import type { ApiKeyRecord } from './records/api-key.ts';

type Tally = Record<Outcome | 'revoked' | 'disabled', number>;

export interface BootstrapSummary {
  accounts: Tally;
  api_keys: Tally;
  agents: Tally;
  mailboxes: Tally;
}

export async function applyBootstrap(
  store: Store,
  bootstrap: Bootstrap,
  logger: Logger,
): Promise<BootstrapSummary> {
  const { models } = internalsOf(store);
  const summary: BootstrapSummary = {
    accounts: tally(),
    api_keys: tally(),
    agents: tally(),
    mailboxes: tally(),
  };
  for (const account of bootstrap.accounts) {
    const { outcome } = await upsertOwned(
      models.Account,
      { _id: account.id },
      { ...desiredAccount(account) },
      () => ({ _id: account.id }),
    );
    summary.accounts[outcome]++;
    await applyApiKeys(models, account, summary.api_keys);
    await applyAgents(models, account, summary.agents);
    for (const mailbox of account.mailboxes) {
      const id = mailboxIdFor(account.id, mailbox.id);
      const result = await upsertOwned(
        models.Mailbox,
        { _id: id, account_id: account.id },
        { ...desiredMailbox(account.id, mailbox) },
        () => ({ _id: id }),
      );
      summary.mailboxes[result.outcome]++;
    }
  }
  logger.info({ summary }, 'bootstrap applied');
  return summary;
}

async function applyApiKeys(models: Models, account: AccountConfig, counts: Tally): Promise<void> {
  const { ApiKey } = models;
  for (const config of account.api_keys) {
    const desired = desiredApiKey(account.id, config);
    // Matched by name; a key whose name changed is found by its hash instead
    // (a rename, not a second key: the hash index is unique).
    const byHash = await ApiKey.findOne({ account_id: account.id, key_hash: desired.key_hash })
      .lean<ApiKeyRecord>()
      .exec();
    const filter =
      byHash && byHash.name !== config.name
        ? { _id: byHash._id }
        : { account_id: account.id, name: config.name };
    const { outcome, doc } = await upsertOwned(ApiKey, filter, { ...desired }, () => ({
      _id: newId('key'),
      actor_id: newId('act'),
    }));
    counts[outcome]++;
    // The key's actor carries its redacted value as handle (seed: api_key actors).
    await upsertOwned(
      models.Actor,
      { _id: doc.actor_id, account_id: account.id },
      { account_id: account.id, type: 'api_key', name: config.name, handle: desired.display },
      () => ({ _id: doc.actor_id }),
    );
  }
  // Keys bootstrap created that the file no longer lists stop working.
  const revoked = await ApiKey.updateMany(
    {
      account_id: account.id,
      source: 'bootstrap',
      revoked_at: null,
      name: { $nin: account.api_keys.map((k) => k.name) },
    },
    { $set: { revoked_at: new Date() } },
  ).exec();
  counts.revoked += revoked.modifiedCount;
}

async function applyAgents(models: Models, account: AccountConfig, counts: Tally): Promise<void> {
  const ids: string[] = [];
  for (const config of account.agents) {
    const id = agentIdFor(account.id, config.id);
    ids.push(id);
    const desired = desiredAgent(account.id, config);
    // The actor first: an agent record never exists without the actor it is.
    await upsertOwned(
      models.Actor,
      { _id: id, account_id: account.id },
      { account_id: account.id, type: 'agent', name: config.name, handle: null },
      () => ({ _id: id }),
    );
    const { outcome } = await upsertOwned(
      models.Agent,
      { _id: id, account_id: account.id },
      { ...desired },
      () => ({
        _id: id,
      }),
    );
    counts[outcome]++;
  }
  // Bootstrap agents missing from the file have no provider config to run with.
  const disabled = await models.Agent.updateMany(
    { account_id: account.id, source: 'bootstrap', _id: { $nin: ids }, status: 'active' },
    { $set: { status: 'disabled' } },
  ).exec();
  counts.disabled += disabled.modifiedCount;
}

function tally(): Tally {
  return { created: 0, updated: 0, unchanged: 0, revoked: 0, disabled: 0 };
}
