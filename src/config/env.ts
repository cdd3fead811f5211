// The environment, parsed once by one schema at start. A typo'd value fails
// fast with the variable's name instead of surfacing later as odd behaviour.
import { z } from 'zod';
import { ConfigError, formatPath } from './config-error.ts';
import { deepFreeze } from './freeze.ts';
import { NOTHING_ALLOWED, parseOutboundAllow, type OutboundAllow } from './outbound-allow.ts';
import { isHashTag, parseRedisTarget } from './redis-target.ts';

export const ROLES = [
  'api',
  'watcher',
  'ingest',
  'agent',
  'delivery',
  'maintenance',
  'webhooks',
] as const;
export type Role = (typeof ROLES)[number];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function urlWithScheme(schemes: readonly string[]) {
  return z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}` },
  );
}

const port = z.coerce
  .number({ message: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

const roles = z.string().transform((value, ctx): Role[] => {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0 || names.includes('all')) return [...ROLES];
  const unknown = names.filter((name) => !(ROLES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown role ${unknown.join(', ')}; roles are all, ${ROLES.join(', ')}`,
    });
    return z.NEVER;
  }
  return [...new Set(names)] as Role[];
});

const positiveMs = z.coerce
  .number({ message: 'must be a number of milliseconds' })
  .int()
  .positive();

const outboundAllow = z.string().transform((value, ctx): OutboundAllow => {
  try {
    return parseOutboundAllow(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

// One server, a Cluster or Sentinels (config/redis-target.ts): checked here, used as given.
const redisUrl = z.string().superRefine((value, ctx) => {
  try {
    parseRedisTarget(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const envFields = z.object({
  MONGODB_URI: urlWithScheme(['mongodb', 'mongodb+srv']).optional(),
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  POSTROOM_CONFIG: z.string().min(1).optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  // Where a process without the api role serves /metrics, /healthz and /readyz
  // (on HOST). A process with the api role serves them on PORT instead.
  POSTROOM_METRICS_PORT: port.default(9464),
  POSTROOM_ROLES: roles.default([...ROLES]),
  // BullMQ joins prefix and queue name with ':'; a ':' inside would split keys.
  // {braces} make it a Redis Cluster hash tag: every key on one slot, which
  // BullMQ's multi-key scripts need. Default: postroom, {postroom} on a Cluster.
  POSTROOM_QUEUE_PREFIX: z
    .string()
    .regex(
      /^(\{[A-Za-z0-9_.-]+\}|[A-Za-z0-9_.-]+)$/,
      'may hold only letters, digits, "_", "." and "-", optionally inside one pair of {braces}',
    )
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: urlWithScheme(['http', 'https']).optional(),
  // Where the embedded store listens when MONGODB_URI is unset (0 = any free port).
  POSTROOM_EMBEDDED_MONGO_PORT: port.default(0),
  // The embedded store's data directory, shared by every Postroom process on
  // the machine that is started on it (the first hosts, the others connect).
  POSTROOM_DATA_DIR: z.string().min(1, 'must be a directory path').default('var/data'),
  // disk: the data directory (the default). memory: a private store that is
  // lost when the process stops (tests, throwaway trials).
  POSTROOM_EMBEDDED_STORE: z.enum(['disk', 'memory']).default('disk'),
  // normal: a committed write survives the process being killed; full: it also
  // survives power loss (an fsync per write, slower).
  POSTROOM_EMBEDDED_SYNC: z.enum(['normal', 'full']).default('normal'),
  // How long a mailbox lease lives without renewal: a process that dies is
  // replaced as its mailboxes' watcher within about this time plus a third.
  POSTROOM_MAILBOX_LEASE_TTL_MS: positiveMs.min(1000, 'must be at least 1000').default(15_000),
  // The login breaker: the wait after a refused IMAP login (or OAuth2
  // refresh), doubling with each refusal in a row up to the cap.
  POSTROOM_AUTH_RETRY_MS: positiveMs.default(300_000),
  POSTROOM_AUTH_RETRY_MAX_MS: positiveMs.default(3_600_000),
  // SIGTERM must end the process within 10 s; in-flight work gets this long.
  POSTROOM_SHUTDOWN_GRACE_MS: positiveMs.max(9000, 'must be at most 9000').default(8000),
  // Signs attachment download URLs. Unset: a random key kept in MongoDB, shared
  // by every process of the deployment. Changing it invalidates issued URLs.
  POSTROOM_URL_SIGNING_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  // Encrypts the model API keys agents are given through the API. Unset: a
  // random key kept in MongoDB (see README, Security). Changing it makes the
  // stored keys unreadable: their agents need their key again.
  POSTROOM_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  // Loopback, private, link-local... destinations that outbound requests made
  // for tenants may reach anyway (src/platform/outbound-guard.ts).
  POSTROOM_OUTBOUND_ALLOW: outboundAllow.default(NOTHING_ALLOWED),
  // Webhook deliveries: how long one attempt may take, how many attempts a
  // delivery gets before it is failed (replayable), and the first retry's
  // delay (doubling each time, capped at an hour).
  POSTROOM_WEBHOOK_TIMEOUT_MS: positiveMs.max(60_000, 'must be at most 60000').default(10_000),
  POSTROOM_WEBHOOK_MAX_ATTEMPTS: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(30, 'must be at most 30')
    .default(8),
  POSTROOM_WEBHOOK_BACKOFF_MS: positiveMs.default(10_000),
  // The largest inbound mail (its whole source) that is taken in. Larger mail is
  // quarantined unread: left on the IMAP server, moved to a drop folder's failed/.
  // Capped because a mail is held in memory while parsed (its source and text).
  POSTROOM_MAX_MAIL_BYTES: z.coerce
    .number({ message: 'must be a number of bytes' })
    .int('must be a whole number of bytes')
    .min(1024, 'must be at least 1024')
    .max(512 * 1024 * 1024, 'must be at most 536870912 (512 MiB)')
    .default(50 * 1024 * 1024),
  // How long an attachment download URL in an API response stays valid.
  POSTROOM_ATTACHMENT_URL_TTL_SECONDS: z.coerce
    .number({ message: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(60, 'must be at least 60')
    .max(7 * 24 * 3600, 'must be at most 604800 (7 days)')
    .default(3600),
  // The web app's session cookie: auto sends it Secure except to a loopback
  // host over plain HTTP (http://127.0.0.1 during a trial); behind TLS it is
  // always Secure. always/never force it either way.
  POSTROOM_SESSION_COOKIE_SECURE: z.enum(['auto', 'always', 'never']).default('auto'),
  // How long a web app session lasts from sign-in.
  POSTROOM_SESSION_TTL_HOURS: z.coerce
    .number({ message: 'must be a number of hours' })
    .positive('must be more than 0')
    .max(24 * 30, 'must be at most 720 (30 days)')
    .default(12),
  // Failed sign-ins allowed per address (and ten times that per client IP) in
  // 15 minutes before sign-in answers 429 for the rest of the window.
  POSTROOM_SIGN_IN_MAX_FAILURES: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .default(5),
  // Whose admins may open the queue dashboard (/admin/queues), as comma-separated
  // account ids: the queues hold every account's jobs. Unset, only an install
  // with a single account opens it.
  POSTROOM_QUEUE_DASHBOARD_ACCOUNTS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    )
    .optional(),
});

function isCluster(url: string): boolean {
  try {
    return parseRedisTarget(url).kind === 'cluster';
  } catch {
    return false; // REDIS_URL's own check reports it
  }
}

const envSchema = envFields
  .superRefine((env, ctx) => {
    if (
      env.POSTROOM_QUEUE_PREFIX !== undefined &&
      !isHashTag(env.POSTROOM_QUEUE_PREFIX) &&
      isCluster(env.REDIS_URL)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['POSTROOM_QUEUE_PREFIX'],
        message: `must be a hash tag such as {${env.POSTROOM_QUEUE_PREFIX}} on a Redis Cluster (REDIS_URL is redis+cluster://), so each queue's keys share one slot`,
      });
    }
  })
  .transform((env) => ({
    ...env,
    POSTROOM_QUEUE_PREFIX:
      env.POSTROOM_QUEUE_PREFIX ?? (isCluster(env.REDIS_URL) ? '{postroom}' : 'postroom'),
  }));

export type Env = Readonly<z.infer<typeof envSchema>>;

/** Parse the environment; blank values count as unset, as in most process managers. */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(envFields.shape)) {
    const value = source[key];
    if (value !== undefined && value.trim() !== '') relevant[key] = value.trim();
  }
  const result = envSchema.safeParse(relevant);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(
      issue ? formatPath(issue.path) : 'environment',
      issue
        ? withValue(issue.message, String(issue.path[0]), relevant[String(issue.path[0])])
        : 'invalid',
    );
  }
  return deepFreeze(result.data);
}

function withValue(message: string, name: string, value: string | undefined): string {
  // Values may be secrets (API keys, URIs with passwords): quote only short, harmless ones.
  if (value === undefined || /KEY|SECRET/.test(name)) return message;
  const harmless = value.length <= 40 && !/[@:]\/\/.*@|key|secret|pass/i.test(value);
  return harmless ? `${message} (got "${value}")` : message;
}
