// What the bootstrap file says each document should hold: pure functions from
// config to the fields bootstrap owns. Fields not listed here (a mailbox's
// sync state, a key's last_used_at, ids, created_at) are never touched.
// Secrets are dropped here: no password or provider key reaches a document.
import type {
  AccountConfig,
  AgentConfig,
  ApiKeyConfig,
  MailboxConfig,
  UserConfig,
} from '../../config/bootstrap-schema.ts';
import { agentIdFor, sha256Hex, userIdFor } from '../ids.ts';
import type { AccountRecord } from '../records/account.ts';
import type { AgentRecord } from '../records/agent.ts';
import type { ApiKeyRecord } from '../records/api-key.ts';
import type { MailboxRecord } from '../records/mailbox.ts';
import type { UserRecord } from '../records/user.ts';

type Owned<T, K extends keyof T> = Pick<T, K>;

export function desiredAccount(config: AccountConfig): Owned<AccountRecord, 'name' | 'settings'> {
  return {
    name: config.name,
    settings: { agent_runs_per_conversation_per_hour: config.agent_runs_per_conversation_per_hour },
  };
}

export function desiredApiKey(
  accountId: string,
  config: ApiKeyConfig,
): Owned<
  ApiKeyRecord,
  | 'account_id'
  | 'name'
  | 'key_hash'
  | 'display'
  | 'permissions'
  | 'revoked_at'
  | 'source'
  | 'user_id'
> {
  return {
    account_id: accountId,
    source: 'bootstrap',
    name: config.name,
    user_id: config.user === undefined ? null : userIdFor(accountId, config.user),
    key_hash: sha256Hex(config.key),
    display: redactKey(config.key),
    permissions: [...config.permissions],
    // A key back in the file is usable again.
    revoked_at: null,
  };
}

/** A bootstrap user's owned fields; the password is decided apart (it is hashed, and salted). */
export function desiredUser(
  accountId: string,
  config: UserConfig,
): Omit<UserRecord, '_id' | 'password_hash' | 'created_at' | 'updated_at'> {
  return {
    account_id: accountId,
    key: config.id,
    name: config.name,
    email: config.email.toLowerCase(),
    avatar_url: config.avatar_url ?? null,
    permissions: [...config.permissions],
    // A user back in the file can act again.
    status: 'active',
    source: 'bootstrap',
  };
}

/**
 * `pk_test_123` → `pk_t…_123`: enough to recognise a key in a list, not
 * enough to use it (keys are at least 12 characters, so 4+ stay hidden).
 */
export function redactKey(key: string): string {
  return `${key.slice(0, 4)}…${key.slice(-4)}`;
}

/** First 12 hex of sha256(instructions): runs record which instructions they used. */
export function instructionsVersion(instructions: string): string {
  return sha256Hex(instructions).slice(0, 12);
}

export function desiredAgent(
  accountId: string,
  config: AgentConfig,
): Omit<AgentRecord, '_id' | 'created_at' | 'updated_at'> {
  const provider = config.provider;
  return {
    account_id: accountId,
    key: config.id,
    name: config.name,
    handle: config.handle,
    handle_lower: config.handle.toLowerCase(),
    // The schema stores unused provider fields as null; api_key is deliberately absent.
    provider:
      provider.type === 'openai'
        ? {
            type: 'openai',
            base_url: provider.base_url ?? null,
            model: provider.model,
            temperature: provider.temperature ?? null,
            max_output_tokens: provider.max_output_tokens ?? null,
            credential: null,
            api_key_sealed: null,
          }
        : { type: 'template', template: provider.template },
    instructions: config.instructions,
    instructions_version: instructionsVersion(config.instructions),
    trigger_policy: config.trigger_policy,
    trigger_keywords: [...config.trigger_keywords],
    status: 'active',
    source: 'bootstrap',
  };
}

export function desiredMailbox(
  accountId: string,
  config: MailboxConfig,
): Omit<MailboxRecord, '_id' | 'sync' | 'created_at' | 'updated_at'> {
  const { imap, smtp } = config;
  return {
    account_id: accountId,
    key: config.id,
    address: config.address.toLowerCase(),
    aliases: config.aliases.map((alias) => alias.toLowerCase()),
    display_name: config.display_name ?? null,
    kind: imap ? 'imap' : 'drop_folder',
    imap: imap
      ? {
          host: imap.host,
          port: imap.port,
          secure: imap.secure,
          user: imap.auth.user,
          folder: imap.folder,
          mark_seen: imap.mark_seen,
          history_days: imap.history_days,
          sent_folder: imap.sent_folder,
          append_sent: imap.append_sent,
        }
      : null,
    drop_folder: config.drop_folder ?? null,
    outbound: {
      kind: smtp ? 'smtp' : 'outbox_folder',
      smtp: smtp
        ? {
            host: smtp.host,
            port: smtp.port,
            secure: smtp.secure,
            user: smtp.auth?.user ?? null,
            pool_size: smtp.pool_size,
          }
        : null,
      outbox_folder: config.outbox_folder ?? null,
    },
    agent_ids: config.agents.map((agentKey) => agentIdFor(accountId, agentKey)),
    delivery: { ...config.delivery },
  };
}
