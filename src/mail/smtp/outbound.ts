// The outbound adapter: a message goes out over the mailbox's SMTP pool or
// into its outbox folder. Built per process by the delivery role.
import { writeToOutbox } from './outbox.ts';
import { createSmtpPools } from './smtp-pools.ts';
import type { Outbound } from './types.ts';

export function createOutbound(): Outbound {
  const pools = createSmtpPools();
  return {
    async send(route, mail, signal) {
      switch (route.kind) {
        case 'smtp':
          return pools.send(route, mail, signal);
        case 'outbox_folder':
          return writeToOutbox(route.dir, mail);
      }
    },
    async close() {
      pools.close();
    },
  };
}
