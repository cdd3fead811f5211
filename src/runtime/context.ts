// Everything the process set up before its roles start: the parsed
// configuration, the one logger, the store, the queues. Each role takes the
// part it declares (its *RoleDeps) and returns what to stop (runtime/roles.ts).
import type { Metrics } from '../platform/metrics.ts';
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import type { Env } from '../config/env.ts';
import type { LiveConfig } from '../config/live-config.ts';
import type { FetchLike } from '../platform/guarded-fetch.ts';
import type { Logger } from '../platform/logger.ts';
import type { AddressGuard } from '../platform/outbound-guard.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import type { Queues } from '../queues/queues.ts';
import type { Store } from '../store/connect.ts';
import type { Redis } from 'ioredis';

export interface RuntimeContext {
  env: Env;
  bootstrap: Bootstrap;
  /** The config as of the last SIGHUP reload (`bootstrap` is the one at start). */
  liveConfig: LiveConfig;
  logger: Logger;
  store: Store;
  queues: Queues;
  /** A general-purpose Redis connection (leases, pub/sub publishing, readiness). */
  redis: Redis;
  metrics: Metrics;
  /** Requests for tenants (URLs they chose) go through this: POSTROOM_OUTBOUND_ALLOW. */
  outbound: { guard: AddressGuard; fetch: FetchLike };
  /** Seals the secrets kept in MongoDB (model keys given through the API). */
  secrets: SecretBox;
  /** Where this process listens, once its roles have started (tests and logs). */
  endpoints: { api?: string; metrics?: string };
}
