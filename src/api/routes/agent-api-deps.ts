// What the agent-facing routes need from the api role (src/runtime/api-role.ts).
import type { Redis } from 'ioredis';
import type { Bootstrap } from '../../config/bootstrap-schema.ts';
import type { AddressGuard } from '../../platform/outbound-guard.ts';
import type { SecretBox } from '../../platform/secret-box.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Queues } from '../../queues/queues.ts';
import type { Store } from '../../store/index.ts';
import type { UrlSigner } from '../signed-urls.ts';

export interface AgentApiDeps {
  store: Store;
  queues: Queues;
  /** The general-purpose connection (publishing). */
  redis: Redis;
  /** For the one pub/sub subscriber connection of this API process. */
  redisUrl: string;
  /** POSTROOM_QUEUE_PREFIX: realtime channels live under it too. */
  prefix: string;
  logger: Logger;
  /** Provider credentials granted to accounts (agents made through the API may name one). */
  bootstrap: Bootstrap;
  /** Checks the model URLs tenants give (POSTROOM_OUTBOUND_ALLOW). */
  outbound: AddressGuard;
  /** Seals the model keys agents are given through the API. */
  secrets: SecretBox;
  /** Signs attachment URLs in streamed events as the JSON responses are (api/app.ts). */
  urlSigner?: UrlSigner;
  /** SSE heartbeat interval; default 15 s (tests shorten it). */
  heartbeatMs?: number;
}
