// The POSTROOM_CONFIG bootstrap file: accounts with their API keys, agents and
// mailboxes. One schema, including the rules that span fields, so a bad file
// stops the process at start with the path of the offending setting.
import { z } from 'zod';
import { TRIGGER_POLICIES } from '../conversations/enums.ts';
import { canonicalAddress } from '../conversations/own-address.ts';
import { DEFAULT_OPENAI_BASE_URL } from './model-urls.ts';
import { OAUTH2_PROVIDERS, isLoopbackHost } from './oauth2-providers.ts';

const PERMISSIONS = [
  'messaging:read',
  'messaging:write',
  'messaging:approve',
  'messaging:delete',
  'admin',
] as const;
export type Permission = (typeof PERMISSIONS)[number];
export const ALL_PERMISSIONS: readonly Permission[] = PERMISSIONS;

// Ids end up in URLs, BullMQ job ids and Redis keys: keep them to safe characters.
const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, 'must be 1-63 letters, digits, "_" or "-"');

/** A secret is a literal or `{"env": "NAME"}`, resolved from the environment at load. */
function secret(env: NodeJS.ProcessEnv) {
  return z
    .union([z.string().min(1), z.object({ env: z.string().min(1) }).strict()])
    .transform((value, ctx) => {
      if (typeof value === 'string') return value;
      const resolved = env[value.env];
      if (resolved === undefined || resolved === '') {
        ctx.addIssue({ code: 'custom', message: `environment variable ${value.env} is not set` });
        return z.NEVER;
      }
      return resolved;
    });
}

// The event types an endpoint subscribes to (src/webhooks/events.ts checks it keeps this list).
export const WEBHOOK_EVENTS = [
  'conversation.created',
  'conversation.updated',
  'message.created',
  'draft.ready',
  'message.sent',
  'message.failed',
  'mailbox.auth_failed',
] as const;

const host = z.string().min(1);
const port = z.number().int().min(1).max(65535);
const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

function schemas(env: NodeJS.ProcessEnv) {
  const openaiProvider = z
    .object({
      type: z.literal('openai'),
      // Fall back to OPENAI_BASE_URL / OPENAI_API_KEY so one key can serve many agents.
      base_url: httpUrl.optional(),
      api_key: secret(env).optional(),
      model: z.string().min(1),
      temperature: z.number().min(0).max(2).optional(),
      max_output_tokens: z.number().int().positive().optional(),
    })
    .strict();
  const templateProvider = z
    .object({ type: z.literal('template'), template: z.string().min(1) })
    .strict();

  // An HTTP tool the model may call (function calling; src/tools/).
  const tool = z
    .object({
      name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"'),
      description: z.string().default(''),
      // A JSON Schema object for the arguments; checked at load (z.fromJSONSchema).
      parameters: z
        .record(z.string(), z.unknown())
        .default({ type: 'object', properties: {} })
        .superRefine((value, ctx) => {
          const problem = jsonSchemaProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      url: httpUrl,
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
      // Header values are secrets like any other: `{"env": "NAME"}` keeps them out of the file.
      headers: z.record(z.string().min(1), secret(env)).default({}),
      timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
      // Read-only tools run during the run; the others wait for a human's approval.
      read_only: z.boolean().default(false),
    })
    .strict();

  // Money is in the operator's currency units; prices per 1,000 tokens.
  const pricing = z
    .object({
      input_per_1k: z.number().min(0),
      output_per_1k: z.number().min(0),
    })
    .strict();

  const agent = z
    .object({
      id,
      name: z.string().min(1),
      handle: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a handle like "drafter"'),
      provider: z.discriminatedUnion('type', [openaiProvider, templateProvider], {
        error: 'must be {"type": "openai", ...} or {"type": "template", ...}',
      }),
      instructions: z.string().default(''),
      trigger_policy: z.enum(TRIGGER_POLICIES).default('always'),
      trigger_keywords: z.array(z.string().min(1)).default([]),
      // Optional (not defaulted) so agents made through the API type-check without them.
      tools: z.array(tool).optional(),
      // Tool calls one run may make, read-only and proposed together (default 5).
      max_tool_calls: z.number().int().min(0).max(100).optional(),
      pricing: pricing.optional(),
      budget: z.object({ monthly: z.number().positive().optional() }).strict().optional(),
    })
    .strict()
    .superRefine((value, ctx) => {
      uniqueBy(value.tools ?? [], (t) => t.name, 'tools', 'name', ctx);
      if (value.trigger_policy === 'keyword' && value.trigger_keywords.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['trigger_keywords'],
          message: 'a keyword agent needs at least one trigger keyword',
        });
      }
    });

  // A password, or `"oauth2": true` to log in with XOAUTH2 using the mailbox's `oauth2` block.
  const auth = z
    .object({
      user: z.string().min(1),
      pass: secret(env).optional(),
      oauth2: z.boolean().optional(),
    })
    .strict()
    .superRefine((value, ctx) => {
      if ((value.pass !== undefined) === (value.oauth2 === true)) {
        ctx.addIssue({
          code: 'custom',
          message: 'needs exactly one of "pass" or "oauth2": true',
        });
      }
    });

  // Provider presets (Google, Microsoft 365) or any token endpoint ("generic").
  const oauth2 = z
    .object({
      provider: z.enum(OAUTH2_PROVIDERS),
      client_id: z.string().min(1),
      // Public clients (a desktop app registration) have none.
      client_secret: secret(env).optional(),
      refresh_token: secret(env),
      // Microsoft 365: the directory (tenant) id or domain; "common" by default.
      tenant: z
        .string()
        .regex(/^[A-Za-z0-9.-]+$/, 'must be a tenant id or domain')
        .optional(),
      token_url: httpUrl.optional(),
      scope: z.string().min(1).optional(),
    })
    .strict()
    .superRefine((value, ctx) => {
      if (value.provider === 'generic' && !value.token_url) {
        ctx.addIssue({
          code: 'custom',
          path: ['token_url'],
          message: 'a generic OAuth2 provider needs its token_url',
        });
      }
    });

  const imap = z
    .object({
      host,
      port,
      secure: z.boolean().default(false),
      // With secure: false, refuse to log in unless the server upgrades with STARTTLS.
      require_tls: z.boolean().default(false),
      // Credentials over an unencrypted connection to another machine: only when said so.
      allow_plaintext_auth: z.boolean().default(false),
      auth,
      folder: z.string().min(1).default('INBOX'),
      // Off by default: Postroom never changes mail on the server unless asked.
      mark_seen: z.boolean().default(false),
      // Connecting an inbox with years of history must not open (and draft
      // replies to) every old thread: the first sync of a folder, and a resync
      // after UIDVALIDITY changes, take mail from the last N days only. null: all.
      history_days: z.number().int().min(0).max(36_500).nullable().default(7),
      // Where sent replies are looked for (and put, with append_sent) so an
      // attempt whose outcome a crash lost is not sent twice. null: the folder
      // the server marks \Sent (SPECIAL-USE); a path overrides it.
      sent_folder: z.string().min(1).nullable().default(null),
      // Off by default: Gmail and Microsoft 365 file what their SMTP accepts
      // into Sent themselves, and a second copy there would be Postroom's.
      append_sent: z.boolean().default(false),
    })
    .strict();

  const smtp = z
    .object({
      host,
      port,
      secure: z.boolean().default(false),
      require_tls: z.boolean().default(false),
      allow_plaintext_auth: z.boolean().default(false),
      auth: auth.optional(),
      pool_size: z.number().int().min(1).max(50).default(5),
    })
    .strict();

  // Defaults: 8 attempts from 30 s doubling to a 1 h cap spread a transient
  // outage over about 2 hours, the order of a mail server's own retry window.
  const delivery = z
    .object({
      max_attempts: z.number().int().min(1).max(50).default(8),
      backoff_ms: z.number().int().min(1).default(30_000),
      backoff_max_ms: z.number().int().min(1).default(3_600_000),
      jitter: z.number().min(0).max(1).default(0.2),
      cancel_scheduled_on_customer_reply: z.boolean().default(true),
    })
    .strict()
    .default({
      max_attempts: 8,
      backoff_ms: 30_000,
      backoff_max_ms: 3_600_000,
      jitter: 0.2,
      cancel_scheduled_on_customer_reply: true,
    });

  const mailbox = z
    .object({
      id,
      address: z.email({ message: 'must be an email address' }),
      // Other addresses that deliver into this mailbox (help@ forwarding to
      // support@): mail from them is our own, like mail from `address`.
      aliases: z.array(z.email({ message: 'must be an email address' })).default([]),
      display_name: z.string().min(1).optional(),
      imap: imap.optional(),
      drop_folder: z.string().min(1).optional(),
      smtp: smtp.optional(),
      outbox_folder: z.string().min(1).optional(),
      agents: z.array(id).default([]),
      delivery,
      oauth2: oauth2.optional(),
    })
    .strict()
    .superRefine((value, ctx) => {
      for (const channel of ['imap', 'smtp'] as const) {
        const settings = value[channel];
        if (!settings?.auth) continue;
        if (settings.auth.oauth2 && !value.oauth2) {
          ctx.addIssue({
            code: 'custom',
            path: [channel, 'auth', 'oauth2'],
            message:
              'OAuth2 login needs the mailbox\'s "oauth2" settings (provider, client_id, refresh_token)',
          });
        }
        // A password or token readable by anyone on the path: refused unless the operator says so.
        if (
          !settings.secure &&
          !settings.require_tls &&
          !settings.allow_plaintext_auth &&
          !isLoopbackHost(settings.host)
        ) {
          ctx.addIssue({
            code: 'custom',
            path: [channel, 'allow_plaintext_auth'],
            message: `mailbox "${value.id}" would send its ${channel.toUpperCase()} credentials unencrypted to ${settings.host}: set "secure": true (TLS) or "require_tls": true (STARTTLS), or "allow_plaintext_auth": true to accept that`,
          });
        }
      }
      if (Boolean(value.imap) === Boolean(value.drop_folder)) {
        ctx.addIssue({
          code: 'custom',
          path: ['imap'],
          message: 'a mailbox needs exactly one of "imap" or "drop_folder"',
        });
      }
      if (Boolean(value.smtp) === Boolean(value.outbox_folder)) {
        ctx.addIssue({
          code: 'custom',
          path: ['smtp'],
          message: 'a mailbox needs exactly one of "smtp" or "outbox_folder"',
        });
      }
    });

  // A model key the operator grants an account: agents made through the API
  // may use it by name, and it is only ever sent to its own base_url.
  const providerCredential = z
    .object({
      name: id,
      type: z.literal('openai').default('openai'),
      base_url: httpUrl.default(DEFAULT_OPENAI_BASE_URL),
      api_key: secret(env),
    })
    .strict();

  const apiKey = z
    .object({
      name: z.string().min(1),
      key: secret(env).pipe(z.string().min(12, 'must be at least 12 characters')),
      permissions: z.array(z.enum(PERMISSIONS)).min(1),
      // The id of a user in this account's `users`: the key then acts as that
      // user (their actor writes), with no more than the user's permissions.
      user: id.optional(),
    })
    .strict();

  // A teammate: the actor of type user (handle = email). The password, when
  // given, is hashed at start (argon2id) and never stored as given.
  const user = z
    .object({
      id,
      name: z.string().min(1),
      email: z.email({ message: 'must be an email address' }),
      avatar_url: httpUrl.optional(),
      permissions: z.array(z.enum(PERMISSIONS)).default([]),
      password: secret(env)
        .pipe(
          z
            .string()
            .min(8, 'must be at least 8 characters')
            .max(256, 'must be at most 256 characters'),
        )
        .optional(),
    })
    .strict();

  // An endpoint the account's events are POSTed to, signed with `secret`.
  const webhook = z
    .object({
      id,
      url: httpUrl,
      events: z
        .array(z.enum(WEBHOOK_EVENTS))
        .min(1)
        .refine((events) => new Set(events).size === events.length, 'lists an event twice'),
      secret: secret(env).pipe(
        z
          .string()
          .min(16, 'must be at least 16 characters')
          .max(256, 'must be at most 256 characters'),
      ),
      enabled: z.boolean().default(true),
    })
    .strict();
  // The account's knowledge base (src/knowledge): a folder of Markdown, HTML
  // or text files kept in sync, and whether approved replies count too.
  const knowledge = z
    .object({
      folder: z.string().min(1).optional(),
      past_replies: z.boolean().default(true),
      poll_interval_ms: z.number().int().min(200).max(3_600_000).default(2_000),
      // Ask the model to mark statements no passage supports with [unsourced].
      flag_unsourced: z.boolean().default(false),
      // Passages offered to each run (ranked best first).
      max_passages: z.number().int().min(1).max(20).default(5),
    })
    .strict()
    .default({
      past_replies: true,
      poll_interval_ms: 2_000,
      flag_unsourced: false,
      max_passages: 5,
    });

  const account = z
    .object({
      id,
      name: z.string().min(1),
      api_keys: z.array(apiKey).default([]),
      users: z.array(user).default([]),
      agents: z.array(agent).default([]),
      mailboxes: z.array(mailbox).default([]),
      provider_credentials: z.array(providerCredential).default([]),
      webhooks: z.array(webhook).default([]),
      // Cost and loop guard: agent runs one conversation may start per hour.
      agent_runs_per_conversation_per_hour: z.number().int().min(1).default(20),
      // Hard caps on the agents' spend (their pricing): a run that would pass one is not started.
      budgets: z
        .object({
          monthly: z.number().positive().optional(),
          per_conversation: z.number().positive().optional(),
        })
        .strict()
        .default({}),
      knowledge,
    })
    .strict()
    .superRefine((value, ctx) => {
      uniqueBy(value.agents, (a) => a.id, 'agents', 'id', ctx);
      uniqueBy(value.agents, (a) => a.handle.toLowerCase(), 'agents', 'handle', ctx);
      uniqueBy(value.mailboxes, (m) => m.id, 'mailboxes', 'id', ctx);
      uniqueAddresses(value.mailboxes, ctx);
      uniqueBy(value.api_keys, (k) => k.name, 'api_keys', 'name', ctx);
      uniqueBy(value.users, (u) => u.id, 'users', 'id', ctx);
      uniqueBy(value.webhooks, (w) => w.id, 'webhooks', 'id', ctx);
      uniqueBy(value.users, (u) => u.email.toLowerCase(), 'users', 'email', ctx);
      const userIds = new Set(value.users.map((u) => u.id));
      value.api_keys.forEach((key, k) => {
        if (key.user !== undefined && !userIds.has(key.user)) {
          ctx.addIssue({
            code: 'custom',
            path: ['api_keys', k, 'user'],
            message: `no user "${key.user}" in this account's users`,
          });
        }
      });
      uniqueBy(value.provider_credentials, (c) => c.name, 'provider_credentials', 'name', ctx);
      const agentIds = new Set(value.agents.map((a) => a.id));
      value.mailboxes.forEach((mailbox, m) =>
        mailbox.agents.forEach((agentId, a) => {
          if (!agentIds.has(agentId)) {
            ctx.addIssue({
              code: 'custom',
              path: ['mailboxes', m, 'agents', a],
              message: `no agent "${agentId}" in this account`,
            });
          }
        }),
      );
    });

  return z
    .object({ accounts: z.array(account).default([]) })
    .strict()
    .superRefine((value, ctx) => {
      uniqueBy(value.accounts, (a) => a.id, 'accounts', 'id', ctx);
      const keys = new Map<string, string>();
      value.accounts.forEach((acc, a) =>
        acc.api_keys.forEach((key, k) => {
          const other = keys.get(key.key);
          if (other) {
            ctx.addIssue({
              code: 'custom',
              path: ['accounts', a, 'api_keys', k, 'key'],
              message: `the same key is already given to ${other}`,
            });
          }
          keys.set(key.key, `accounts[${a}].api_keys[${k}]`);
        }),
      );
    });
}

function uniqueBy<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  list: string,
  field: string,
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const key = keyOf(item);
    if (seen.has(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [list, index, field],
        message: `duplicate ${field} "${key}"`,
      });
    }
    seen.add(key);
  });
}

/**
 * A mailbox address or alias names one mailbox of the account: compared as
 * the own-address rule compares them (case and plus tag ignored).
 */
function uniqueAddresses(
  mailboxes: ReadonlyArray<{ address: string; aliases: readonly string[] }>,
  ctx: z.RefinementCtx,
): void {
  const seen = new Map<string, string>();
  mailboxes.forEach((mailbox, m) => {
    const entries: Array<[string, Array<string | number>]> = [
      [mailbox.address, ['mailboxes', m, 'address']],
      ...mailbox.aliases.map((alias, a): [string, Array<string | number>] => [
        alias,
        ['mailboxes', m, 'aliases', a],
      ]),
    ];
    for (const [address, path] of entries) {
      const key = canonicalAddress(address);
      const other = seen.get(key);
      if (other) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `duplicate address "${address}": already given as ${other} (addresses are compared without case or +tag)`,
        });
      } else {
        seen.set(key, path.join('.').replace(/\.(\d+)/g, '[$1]'));
      }
    }
  });
}

/** Why a tool's `parameters` is not a usable JSON Schema object, or null. */
function jsonSchemaProblem(schema: Record<string, unknown>): string | null {
  if (schema.type !== 'object') return 'must be a JSON Schema with "type": "object"';
  try {
    z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    return null;
  } catch (error) {
    return `is not a JSON Schema zod can check: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export function bootstrapSchema(env: NodeJS.ProcessEnv) {
  return schemas(env);
}

export type Bootstrap = z.infer<ReturnType<typeof schemas>>;
export type AccountConfig = Bootstrap['accounts'][number];
export type AgentConfig = AccountConfig['agents'][number];
export type MailboxConfig = AccountConfig['mailboxes'][number];
export type ApiKeyConfig = AccountConfig['api_keys'][number];
export type UserConfig = AccountConfig['users'][number];
export type ProviderConfig = AgentConfig['provider'];
export type ToolConfig = NonNullable<AgentConfig['tools']>[number];
export type KnowledgeConfig = AccountConfig['knowledge'];
