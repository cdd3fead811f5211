// "A mailbox's credentials changed": published by whoever changed them (the
// admin API's PATCH, a SIGHUP reload) on Redis pub/sub, so the process that
// watches the mailbox reconnects it at once, without a restart.
import type { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.ts';

const channelOf = (prefix: string) => `${prefix}:mailbox-credentials`;

/** Tell every process; `mailboxId` is the mailbox's `_id`. */
export async function announceCredentialsChanged(
  redis: Redis,
  prefix: string,
  mailboxId: string,
): Promise<void> {
  await redis.publish(channelOf(prefix), mailboxId);
}

/** Listen on a connection of its own (a subscribed connection takes no other commands); returns the stop. */
export async function onCredentialsChanged(
  redis: Redis,
  prefix: string,
  logger: Logger,
  listener: (mailboxId: string) => void,
): Promise<() => Promise<void>> {
  const subscriber = redis.duplicate();
  subscriber.on('error', (error: Error) =>
    logger.warn({ err: error }, 'credential change subscription error'),
  );
  subscriber.on('message', (channel: string, message: string) => {
    if (channel === channelOf(prefix)) listener(message);
  });
  await subscriber.subscribe(channelOf(prefix));
  return async () => {
    await subscriber.quit().catch(() => subscriber.disconnect());
  };
}
