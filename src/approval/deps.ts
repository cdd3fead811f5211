// What the approval actions need: the store, the queues (delivery jobs), the
// realtime publisher and a logger. `now` is injectable for tests.
import type { Logger } from '../platform/logger.ts';
import type { Queues } from '../queues/queues.ts';
import type { Publisher } from '../realtime/events.ts';
import type { Store } from '../store/index.ts';

export interface ApprovalDeps {
  store: Store;
  queues: Queues;
  publisher: Publisher;
  logger: Logger;
  now?: () => Date;
}

/** Who acts: the API key's account and actor. */
export interface Actor {
  account_id: string;
  actor_id: string;
}
