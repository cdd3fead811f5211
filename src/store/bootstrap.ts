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
  desiredUser,
} from './bootstrap/desired.ts';
import { upsertOwned, type Outcome } from './bootstrap/upsert.ts';
import { internalsOf, type Store } from './connect.ts';
import { isDuplicateKeyError } from './errors.ts';
import { UNIQUE_INDEX } from './index-names.ts';
import { agentIdFor, mailboxIdFor, newId, userIdFor } from './ids.ts';
import { hashPassword, passwordMatches } from '../users/passwords.ts';
import type { Models } from './models/index.ts';
import type { ApiKeyRecord } from './records/api-key.ts';
import type { UserRecord } from './records/user.ts';

type Tally = Record<Outcome | 'revoked' | 'disabled', number>;

export interface BootstrapSummary {
  accounts: Tally;
  api_keys: Tally;
  users: Tally;
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
    users: tally(),
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
    // Users before keys: a key names the user it acts as.
    await applyUsers(models, account, `accounts[${accountIndex}]`, summary.users);
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

async function applyUsers(
  models: Models,
  account: AccountConfig,
  /** Where the account is in the file, for errors. */
  path: string,
  counts: Tally,
): Promise<void> {
  const ids = account.users.map((config) => userIdFor(account.id, config.id));
  // Bootstrap users gone from the file can no longer act (their keys are
  // revoked with the file's keys); nothing they wrote is touched.
  const disabled = await models.User.updateMany(
    { account_id: account.id, source: 'bootstrap', _id: { $nin: ids }, status: 'active' },
    { $set: { status: 'disabled' } },
  ).exec();
  counts.disabled += disabled.modifiedCount;
  for (const [index, config] of account.users.entries()) {
    const id = userIdFor(account.id, config.id);
    const desired = desiredUser(account.id, config);
    let result: { outcome: Outcome; doc: UserRecord };
    try {
      result = await upsertOwned(
        models.User,
        { _id: id, account_id: account.id },
        { ...desired },
        () => ({ _id: id, password_hash: null }),
      );
    } catch (error) {
      if (!isDuplicateKeyError(error, UNIQUE_INDEX.userEmail)) throw error;
      throw new ConfigError(
        `POSTROOM_CONFIG ${path}.users[${index}].email`,
        `"${config.email}" is already the address of another user of this account (created through the API?): choose another address, or change that user's first`,
      );
    }
    let { outcome } = result;
    // The stored hash is salted: it is replaced only when the file's password
    // no longer matches it, so an unchanged file writes nothing. A password
    // removed from the file leaves the stored one (set through the API, say).
    const stored = result.doc.password_hash ?? null;
    if (
      config.password !== undefined &&
      !(stored && (await passwordMatches(stored, config.password)))
    ) {
      await models.User.updateOne(
        { _id: id, account_id: account.id },
        { $set: { password_hash: await hashPassword(config.password) } },
      ).exec();
      if (outcome === 'unchanged') outcome = 'updated';
    }
    counts[outcome]++;
    const user = await models.User.findOne({ _id: id, account_id: account.id })
      .lean<UserRecord>()
      .exec();
    if (user) await syncUserActor(models, user);
  }
}

/** The user's actor (same id): type user, handle = email (seed: user actors). */
async function syncUserActor(models: Models, user: UserRecord): Promise<void> {
  await upsertOwned(
    models.Actor,
    { _id: user._id, account_id: user.account_id },
    {
      account_id: user.account_id,
      type: 'user',
      name: user.name,
      handle: user.email,
      avatar_url: user.avatar_url,
    },
    () => ({ _id: user._id }),
  );
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
