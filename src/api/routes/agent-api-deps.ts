// What the agent-facing routes need from the api role (src/runtime/api-role.ts).
import type { Redis } from 'ioredis';
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
  /** Signs attachment URLs in streamed events as the JSON responses are (api/app.ts). */
  urlSigner?: UrlSigner;
  /** SSE heartbeat interval; default 15 s (tests shorten it). */
  heartbeatMs?: number;
}
