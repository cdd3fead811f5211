// The roles one binary can play. The table is keyed by the Role union, so a
// new role is a compile error until it has a starter here.
import type { Role } from '../config/env.ts';
import { startAgentWorker } from '../agents/agent-worker.ts';
import { startDeliveryRole } from '../delivery/deliver-worker.ts';
import { startIngestWorker } from '../inbound/ingest-worker.ts';
import { startWatcherRole } from '../inbound/watcher-role.ts';
import { startMaintenanceRole } from '../maintenance/maintenance-role.ts';
import { startApiRole } from './api-role.ts';
import type { RuntimeContext } from './context.ts';

export type RoleStarter = (context: RuntimeContext) => Promise<void>;

const ROLE_STARTERS: Record<Role, RoleStarter> = {
  api: startApiRole,
  watcher: (context) =>
    startWatcherRole(context, { leaseTtlMs: context.env.POSTROOM_MAILBOX_LEASE_TTL_MS }),
  ingest: async (context) => {
    const worker = startIngestWorker(context);
    context.shutdown.add('ingest-worker', () =>
      worker.close(context.env.POSTROOM_SHUTDOWN_GRACE_MS),
    );
  },
  agent: async (context) => {
    const worker = startAgentWorker(context);
    context.shutdown.add('agent-worker', () =>
      worker.close(context.env.POSTROOM_SHUTDOWN_GRACE_MS),
    );
  },
  delivery: startDeliveryRole,
  maintenance: async (context) => {
    startMaintenanceRole(context);
  },
};

export async function startRoles(roles: readonly Role[], context: RuntimeContext): Promise<void> {
  // The API starts last so it closes first: on SIGTERM the process stops
  // taking requests before its workers drain.
  const ordered = [...roles.filter((r) => r !== 'api'), ...roles.filter((r) => r === 'api')];
  for (const role of ordered) {
    await ROLE_STARTERS[role]({ ...context, logger: context.logger.child({ role }) });
  }
}
