// The secrets a mailbox logs in with, for IMAP and SMTP: the config's password
// (or one given later through the API, sealed in MongoDB), or an OAuth2 access
// token refreshed before it expires. Tokens are sealed at rest (secret-box.ts);
// the refresh is single-flight across processes (a Redis lock, and a save
// conditional on the version read) so two processes never spend one rotating
// refresh token twice: the second would be refused and the grant revoked.
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Bootstrap, MailboxConfig } from '../config/bootstrap-schema.ts';
import { oauth2Endpoint } from '../config/oauth2-providers.ts';
import type { MailAuth } from '../mail/imap/types.ts';
import type { Logger } from '../platform/logger.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import type { MailboxRecord, Store, StoredOAuth } from '../store/index.ts';
import { refreshAccessToken, TokenRefreshError } from './token-endpoint.ts';

// Refresh this long before the provider's expiry: a login takes seconds, and
// clocks and queues add more. Google and Microsoft tokens live about an hour.
const DEFAULT_SKEW_MS = 5 * 60_000;
// Longer than a token endpoint call may take (15 s timeout) with room to save.
const LOCK_TTL_MS = 30_000;
const LOCK_POLL_MS = 200;

const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface MailboxCredentialsDeps {
  store: Pick<Store, 'mailboxes'>;
  redis: Redis;
  prefix: string;
  secrets: SecretBox;
  logger: Logger;
  /** The current bootstrap config (it changes on SIGHUP). */
  bootstrap(): Bootstrap;
  skewMs?: number;
  fetchImpl?: typeof fetch;
}

interface Cached {
  accessToken: string;
  refreshAt: number;
  version: number;
}

type Channel = 'imap' | 'smtp';

export interface MailboxCredentials {
  /** The login for IMAP; `rejected`: the server refused the last access token, get a new one. */
  imapAuth(mailbox: MailboxRecord, options?: { rejected?: boolean }): Promise<MailAuth>;
  /** The login for SMTP, null when the server needs none. */
  smtpAuth(mailbox: MailboxRecord, options?: { rejected?: boolean }): Promise<MailAuth | null>;
  /** Whether the channel logs in with OAuth2. */
  usesOAuth(mailbox: MailboxRecord, channel: Channel): boolean;
  /** Whether the channel logs in with a password (one PATCH may replace). */
  hasPassword(mailbox: MailboxRecord, channel: Channel): boolean;
  /** A password given through the API, kept sealed; replaces the config's until that changes. */
  setPassword(mailbox: MailboxRecord, channel: Channel, pass: string): Promise<void>;
  /** Drop this process's copy of the access token (the stored credentials changed). */
  forget(mailboxId: string): void;
  /** A refresh token given through the API (re-consent): the next login refreshes with it. */
  setRefreshToken(mailbox: MailboxRecord, refreshToken: string): Promise<void>;
}

function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}

function configOfMailbox(
  bootstrap: Bootstrap,
  mailbox: Pick<MailboxRecord, 'account_id' | 'key'>,
): MailboxConfig | undefined {
  return bootstrap.accounts
    .find((account) => account.id === mailbox.account_id)
    ?.mailboxes.find((m) => m.id === mailbox.key);
}

export function createMailboxCredentials(deps: MailboxCredentialsDeps): MailboxCredentials {
  const skewMs = deps.skewMs ?? DEFAULT_SKEW_MS;
  const cache = new Map<string, Cached>();
  const log = deps.logger.child({ component: 'mailbox-credentials' });

  const context = (mailbox: MailboxRecord, what: string) => `mailbox:${mailbox._id}:${what}`;

  function configFor(mailbox: MailboxRecord): MailboxConfig {
    const config = configOfMailbox(deps.bootstrap(), mailbox);
    if (!config) {
      throw new Error(`mailbox ${mailbox.account_id}/${mailbox.key} is not in POSTROOM_CONFIG`);
    }
    return config;
  }

  function oauthSettings(mailbox: MailboxRecord) {
    const settings = configFor(mailbox).oauth2;
    if (!settings) {
      throw new Error(`mailbox ${mailbox.account_id}/${mailbox.key} has no "oauth2" settings`);
    }
    return settings;
  }

  async function password(mailbox: MailboxRecord, channel: Channel): Promise<string> {
    const configured = configFor(mailbox)[channel]?.auth?.pass;
    if (configured === undefined) {
      throw new Error(
        `no ${channel.toUpperCase()} password for mailbox ${mailbox.account_id}/${mailbox.key} in POSTROOM_CONFIG`,
      );
    }
    const stored = await deps.store.mailboxes.getCredentials(mailbox._id);
    const override = channel === 'imap' ? stored?.imap_pass : stored?.smtp_pass;
    if (override && override.config_seed === fingerprint(configured)) {
      return deps.secrets.open(override.sealed, context(mailbox, `${channel}_pass`));
    }
    return configured;
  }

  /** Refresh at `skewMs` before expiry, or halfway through a token that lives shorter than twice that. */
  function refreshDue(expiresAt: number, issuedAt: number | null): number {
    const lifetime = issuedAt === null ? Infinity : expiresAt - issuedAt;
    return expiresAt - Math.min(skewMs, lifetime / 2);
  }

  function usable(stored: StoredOAuth | null | undefined, now: number): boolean {
    if (!stored?.access_token || !stored.expires_at) return false;
    const issued = stored.refreshed_at ? new Date(stored.refreshed_at).getTime() : null;
    return refreshDue(new Date(stored.expires_at).getTime(), issued) > now;
  }

  function remember(mailbox: MailboxRecord, stored: StoredOAuth): string {
    const accessToken = deps.secrets.open(stored.access_token ?? '', context(mailbox, 'access'));
    const expiresAt = stored.expires_at ? new Date(stored.expires_at).getTime() : 0;
    const issued = stored.refreshed_at ? new Date(stored.refreshed_at).getTime() : null;
    cache.set(mailbox._id, {
      accessToken,
      refreshAt: refreshDue(expiresAt, issued),
      version: stored.version,
    });
    return accessToken;
  }

  /** The stored tokens when they still belong to the config's grant; null: start from the config. */
  async function loadCurrent(mailbox: MailboxRecord, seed: string) {
    const stored = (await deps.store.mailboxes.getCredentials(mailbox._id))?.oauth ?? null;
    return { stored, current: stored && stored.config_seed === seed ? stored : null };
  }

  async function accessToken(mailbox: MailboxRecord, rejected: boolean): Promise<string> {
    const now = Date.now();
    const cached = cache.get(mailbox._id);
    if (!rejected && cached && cached.refreshAt > now) return cached.accessToken;
    // A rejected token is only replaced by a newer one than the one rejected.
    const rejectedVersion = rejected ? (cached?.version ?? null) : null;
    const fresh = (s: StoredOAuth | null): boolean =>
      s !== null &&
      usable(s, Date.now()) &&
      (rejectedVersion === null || s.version > rejectedVersion);

    const settings = oauthSettings(mailbox);
    const seed = fingerprint(settings.refresh_token);
    const first = await loadCurrent(mailbox, seed);
    if (first.current && fresh(first.current)) return remember(mailbox, first.current);

    const lockKey = `${deps.prefix}:oauth-refresh:${mailbox._id}`;
    const token = randomUUID();
    const deadline = Date.now() + LOCK_TTL_MS;
    for (;;) {
      if ((await deps.redis.set(lockKey, token, 'PX', LOCK_TTL_MS, 'NX')) === 'OK') break;
      // Another process is refreshing: use what it saves.
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      const meanwhile = await loadCurrent(mailbox, seed);
      if (meanwhile.current && fresh(meanwhile.current)) {
        return remember(mailbox, meanwhile.current);
      }
      if (Date.now() > deadline) {
        throw new TokenRefreshError('another process holds the token refresh lock too long', false);
      }
    }
    try {
      const { stored, current } = await loadCurrent(mailbox, seed);
      if (current && fresh(current)) return remember(mailbox, current);
      const refreshToken = current
        ? deps.secrets.open(current.refresh_token, context(mailbox, 'refresh'))
        : settings.refresh_token;
      const refreshed = await refreshAccessToken({
        endpoint: oauth2Endpoint(settings),
        clientId: settings.client_id,
        clientSecret: settings.client_secret,
        refreshToken,
        fetchImpl: deps.fetchImpl,
      });
      const next: StoredOAuth = {
        refresh_token: deps.secrets.seal(
          refreshed.refreshToken ?? refreshToken,
          context(mailbox, 'refresh'),
        ),
        access_token: deps.secrets.seal(refreshed.accessToken, context(mailbox, 'access')),
        expires_at: new Date(Date.now() + refreshed.expiresIn * 1000),
        version: (stored?.version ?? 0) + 1,
        config_seed: seed,
        refreshed_at: new Date(),
      };
      if (!(await deps.store.mailboxes.saveOAuth(mailbox._id, stored?.version ?? null, next))) {
        // Only when the lock expired under a stuck call: the newer save wins.
        log.warn({ mailbox_id: mailbox._id }, 'OAuth2 tokens were saved by another process first');
        const latest = await loadCurrent(mailbox, seed);
        if (latest.current && fresh(latest.current)) return remember(mailbox, latest.current);
      }
      log.info(
        {
          mailbox_id: mailbox._id,
          expires_in_s: refreshed.expiresIn,
          rotated: refreshed.refreshToken !== null && refreshed.refreshToken !== refreshToken,
        },
        'OAuth2 access token refreshed',
      );
      cache.set(mailbox._id, {
        accessToken: refreshed.accessToken,
        refreshAt: refreshDue(next.expires_at!.getTime(), next.refreshed_at!.getTime()),
        version: next.version,
      });
      return refreshed.accessToken;
    } finally {
      await deps.redis.eval(RELEASE_SCRIPT, 1, lockKey, token).catch((error: unknown) => {
        log.warn({ err: error }, 'could not release the token refresh lock (it expires by itself)');
      });
    }
  }

  async function auth(
    mailbox: MailboxRecord,
    channel: Channel,
    rejected: boolean,
  ): Promise<MailAuth | null> {
    const settings = configFor(mailbox)[channel];
    if (!settings?.auth) return null;
    if (settings.auth.oauth2) {
      return { user: settings.auth.user, accessToken: await accessToken(mailbox, rejected) };
    }
    return { user: settings.auth.user, pass: await password(mailbox, channel) };
  }

  return {
    async imapAuth(mailbox, options = {}) {
      const found = await auth(mailbox, 'imap', options.rejected === true);
      if (!found) throw new Error(`mailbox ${mailbox.key} has no IMAP login`);
      return found;
    },
    smtpAuth: (mailbox, options = {}) => auth(mailbox, 'smtp', options.rejected === true),
    usesOAuth: (mailbox, channel) => configFor(mailbox)[channel]?.auth?.oauth2 === true,
    forget: (mailboxId) => void cache.delete(mailboxId),
    hasPassword: (mailbox, channel) => configFor(mailbox)[channel]?.auth?.pass !== undefined,
    async setPassword(mailbox, channel, pass) {
      const configured = configFor(mailbox)[channel]?.auth?.pass;
      if (configured === undefined) {
        throw new Error(`mailbox ${mailbox.key} does not log in to ${channel} with a password`);
      }
      await deps.store.mailboxes.setPasswordOverride(mailbox.account_id, mailbox.key, channel, {
        sealed: deps.secrets.seal(pass, context(mailbox, `${channel}_pass`)),
        config_seed: fingerprint(configured),
        set_at: new Date(),
      });
    },
    async setRefreshToken(mailbox, refreshToken) {
      const settings = oauthSettings(mailbox);
      const { stored } = await loadCurrent(mailbox, fingerprint(settings.refresh_token));
      const next: StoredOAuth = {
        refresh_token: deps.secrets.seal(refreshToken, context(mailbox, 'refresh')),
        access_token: null,
        expires_at: null,
        version: (stored?.version ?? 0) + 1,
        config_seed: fingerprint(settings.refresh_token),
        refreshed_at: null,
      };
      if (!(await deps.store.mailboxes.saveOAuth(mailbox._id, stored?.version ?? null, next))) {
        throw new Error('the OAuth2 tokens changed while saving: try again');
      }
      cache.delete(mailbox._id);
    },
  };
}
