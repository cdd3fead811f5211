// The bootstrap file's webhook endpoints (accounts[].webhooks), applied at
// start once the secret box exists: their secrets are kept sealed like the
// API's. Matched by id; an endpoint gone from the file is disabled, never
// deleted (its deliveries are history). A URL the outbound rules refuse stops
// the process naming the setting.
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import { ConfigError } from '../config/config-error.ts';
import type { Logger } from '../platform/logger.ts';
import { OutboundRefusedError, type AddressGuard } from '../platform/outbound-guard.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import { isDuplicateKeyError, type Store } from '../store/index.ts';

export interface WebhookBootstrapDeps {
  store: Pick<Store, 'webhooks'>;
  secrets: SecretBox;
  guard: Pick<AddressGuard, 'checkUrl'>;
  logger: Logger;
}

function opens(secrets: SecretBox, sealed: string, context: string, expected: string): boolean {
  try {
    return secrets.open(sealed, context) === expected;
  } catch {
    return false;
  }
}

export async function applyWebhookBootstrap(
  deps: WebhookBootstrapDeps,
  bootstrap: Bootstrap,
): Promise<void> {
  const { store, secrets } = deps;
  const counts = { created: 0, updated: 0, unchanged: 0, disabled: 0 };
  for (const [a, account] of bootstrap.accounts.entries()) {
    for (const [w, config] of account.webhooks.entries()) {
      try {
        await deps.guard.checkUrl(config.url);
      } catch (error) {
        // Only a refusal is the file's fault; a name that does not resolve yet
        // (DNS at start) is left to the delivery attempts.
        if (error instanceof OutboundRefusedError) {
          throw new ConfigError(`POSTROOM_CONFIG accounts[${a}].webhooks[${w}].url`, error.message);
        }
      }
      const id = `whk_${account.id}_${config.id}`;
      const existing = await store.webhooks.getEndpoint(account.id, id);
      if (!existing) {
        try {
          await store.webhooks.createEndpoint({
            _id: id,
            account_id: account.id,
            key: config.id,
            url: config.url,
            events: [...config.events],
            secret_sealed: secrets.seal(config.secret, id),
            enabled: config.enabled,
            source: 'bootstrap',
          });
          counts.created++;
          continue;
        } catch (error) {
          // Another process applying the same file created it first.
          if (!isDuplicateKeyError(error)) throw error;
        }
      }
      const current = existing ?? (await store.webhooks.getEndpoint(account.id, id));
      const sameSecret =
        current !== null && opens(secrets, current.secret_sealed, id, config.secret);
      const changed =
        !current ||
        current.url !== config.url ||
        current.enabled !== config.enabled ||
        current.events.join(',') !== config.events.join(',') ||
        !sameSecret;
      if (!changed) {
        counts.unchanged++;
        continue;
      }
      await store.webhooks.updateEndpoint(account.id, id, {
        url: config.url,
        events: [...config.events],
        enabled: config.enabled,
        ...(sameSecret ? {} : { secret_sealed: secrets.seal(config.secret, id) }),
      });
      counts.updated++;
    }
    counts.disabled += await store.webhooks.disableBootstrapExcept(
      account.id,
      account.webhooks.map((config) => config.id),
    );
  }
  if (counts.created + counts.updated + counts.disabled > 0) {
    deps.logger.info({ webhooks: counts }, 'bootstrap webhooks applied');
  }
}
