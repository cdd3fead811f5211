// Apply the POSTROOM_CONFIG bootstrap file to the database at start:
// accounts, API keys (hashed), agents (with their actors) and mailboxes are
// created or updated by id. Idempotent: an unchanged file writes nothing.
// Never deletes: a key gone from the file is revoked, an agent gone from it is
// disabled, a mailbox gone from it is left alone (it has no credentials, so no
// watcher can use it). Logs counts only, never a secret.
import type { AccountConfig, Bootstrap } from '../config/bootstrap-schema.ts';
import { ConfigError } from '../config/config-error.ts';
import type { Logger } from '../platform/logger.ts';
import {
  desiredAccount,
  desiredAgent,
  desiredApiKey,
  desiredMailbox,
} from './bootstrap/desired.ts';
import { upsertOwned, type Outcome } from './bootstrap/upsert.ts';
import { internalsOf, type Store } from './connect.ts';
import { isDuplicateKeyError } from './errors.ts';
import { UNIQUE_INDEX } from './index-names.ts';
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
  for (const [accountIndex, account] of bootstrap.accounts.entries()) {
    const { outcome } = await upsertOwned(
      models.Account,
      { _id: account.id },
      { ...desiredAccount(account) },
      () => ({ _id: account.id }),
    );
    summary.accounts[outcome]++;
    await applyApiKeys(models, account, summary.api_keys);
    await applyAgents(models, account, `accounts[${accountIndex}]`, summary.agents);
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

async function applyAgents(
  models: Models,
  account: AccountConfig,
  /** Where the account is in the file, for errors. */
  path: string,
  counts: Tally,
): Promise<void> {
  const ids = account.agents.map((config) => agentIdFor(account.id, config.id));
  // Bootstrap agents missing from the file have no provider config to run with.
  // Disabled first: an agent renamed in the file takes over its old handle.
  const disabled = await models.Agent.updateMany(
    { account_id: account.id, source: 'bootstrap', _id: { $nin: ids }, status: 'active' },
    { $set: { status: 'disabled' } },
  ).exec();
  counts.disabled += disabled.modifiedCount;
  for (const [index, config] of account.agents.entries()) {
    const id = agentIdFor(account.id, config.id);
    const desired = desiredAgent(account.id, config);
    // The actor first: an agent record never exists without the actor it is.
    await upsertOwned(
      models.Actor,
      { _id: id, account_id: account.id },
      { account_id: account.id, type: 'agent', name: config.name, handle: null },
      () => ({ _id: id }),
    );
    try {
      const { outcome } = await upsertOwned(
        models.Agent,
        { _id: id, account_id: account.id },
        { ...desired },
        () => ({ _id: id }),
      );
      counts[outcome]++;
    } catch (error) {
      if (!isDuplicateKeyError(error, UNIQUE_INDEX.agentHandle)) throw error;
      const holder = await models.Agent.findOne({
        account_id: account.id,
        handle_lower: desired.handle_lower,
        status: 'active',
      })
        .lean<{ _id: string; source: string }>()
        .exec();
      throw new ConfigError(
        `POSTROOM_CONFIG ${path}.agents[${index}].handle`,
        `"${config.handle}" is the handle of active agent ${holder?._id ?? '(unknown)'}${holder?.source === 'api' ? ', created through the API' : ''}: choose another handle, or disable that agent first`,
      );
    }
  }
}

function tally(): Tally {
  return { created: 0, updated: 0, unchanged: 0, revoked: 0, disabled: 0 };
}
