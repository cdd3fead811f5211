// The agent-facing endpoints: posting messages (which wakes agents),
// conversation membership, the agents admin API and the realtime event stream.
// Registered after messagingRoutes(), whose Idempotency-Key hooks wrap them.
import type { FastifyInstance } from 'fastify';
import type { AgentApiDeps } from './agent-api-deps.ts';
import { agentAdminRoutes } from './agents-admin.ts';
import { accountEventRoutes } from './account-events.ts';
import { conversationCreateRoutes } from './conversation-create.ts';
import { conversationEventRoutes } from './conversation-events.ts';
import { messageCreateRoutes } from './message-create.ts';
import { messageSafeHtmlRoutes } from './message-safe-html.ts';
import { participantRoutes } from './participants.ts';

export function agentApiRoutes(deps: AgentApiDeps): Array<(v1: FastifyInstance) => void> {
  return [
    conversationCreateRoutes(deps),
    messageCreateRoutes(deps),
    participantRoutes(deps),
    agentAdminRoutes(deps.store, deps),
    conversationEventRoutes(deps),
    accountEventRoutes(deps),
    messageSafeHtmlRoutes(deps.store, deps.urlSigner),
  ];
}
