// The roles one binary can play. The table is keyed by the Role union, so a
// new role is a compile error until it has a starter here.
import type { Role } from '../config/env.ts';
import type { Stoppable } from '../platform/stoppable.ts';
import { startAgentWorker } from '../agents/agent-worker.ts';
import { startDeliveryRole } from '../delivery/deliver-worker.ts';
import { startKnowledgeFolders } from '../knowledge/folder-sync.ts';
import { startIngestWorker } from '../inbound/ingest-worker.ts';
import { startWatcherRole } from '../inbound/watcher-role.ts';
import { startMaintenanceRole } from '../maintenance/maintenance-role.ts';
import { startWebhookRole } from '../webhooks/webhook-role.ts';
import { startApiRole } from './api-role.ts';
import type { RuntimeContext } from './context.ts';

/** Starts a role; returns what must be stopped at shutdown, in the order to stop it. */
type RoleStarter = (context: RuntimeContext) => Promise<readonly Stoppable[]>;

// Each role takes only the part of the context it declares (its *RoleDeps).
const ROLE_STARTERS: Record<Role, RoleStarter> = {
  api: startApiRole,
  watcher: (context) =>
    startWatcherRole(context, {
      leaseTtlMs: context.env.POSTROOM_MAILBOX_LEASE_TTL_MS,
      backoff: {
        authFailureMs: context.env.POSTROOM_AUTH_RETRY_MS,
        authFailureMaxMs: Math.max(
          context.env.POSTROOM_AUTH_RETRY_MS,
          context.env.POSTROOM_AUTH_RETRY_MAX_MS,
        ),
      },
    }),
  ingest: async (context) => startIngestWorker(context),
  agent: async (context) => [
    ...startAgentWorker(context),
    ...(await startKnowledgeFolders(context)),
  ],
  delivery: async (context) => startDeliveryRole(context),
  maintenance: async (context) => startMaintenanceRole(context),
  webhooks: async (context) => startWebhookRole(context),
};

/**
 * Start the roles, handing each part to stop to `register` as soon as its role
 * is up, so a role that fails to start still has the ones before it stopped.
 */
export async function startRoles(
  roles: readonly Role[],
  context: RuntimeContext,
  register: (part: Stoppable) => void,
): Promise<void> {
  // The API starts last so it closes first: on SIGTERM the process stops
  // taking requests before its workers drain.
  const ordered = [...roles.filter((r) => r !== 'api'), ...roles.filter((r) => r === 'api')];
  for (const role of ordered) {
    const parts = await ROLE_STARTERS[role]({ ...context, logger: context.logger.child({ role }) });
    // The shutdown stops the last registered first: register in reverse so a
    // role's parts stop in the order it listed them.
    for (const part of [...parts].reverse()) register(part);
  }
}
