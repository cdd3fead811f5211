// Every repository, bound to one connection's models. Callers use these typed
// functions; only src/store/ knows about mongoose.
import type { Models } from '../models/index.ts';
import { createAccountsRepository, createActorsRepository } from './accounts.ts';
import { createAgentsRepository } from './agents.ts';
import { createApiKeysRepository } from './api-keys.ts';
import { createAuditRepository } from './audit.ts';
import { createConversationRedaction } from './conversation-redaction.ts';
import { createConversationsRepository } from './conversations.ts';
import { createIdempotencyRepository } from './idempotency.ts';
import { createInboundRepository } from './inbound.ts';
import { createKnowledgeRepository } from './knowledge.ts';
import { createAgentRunsRepository } from './agent-runs.ts';
import { createDraftsRepository } from './drafts.ts';
import { createDeliveryRepository } from './delivery.ts';
import { createMailboxesRepository } from './mailboxes.ts';
import { createMessageRedaction } from './message-redaction.ts';
import { createMessagesRepository } from './messages.ts';
import { createParticipantsRepository } from './participants.ts';
import { createAgentAdminRepository } from './agent-admin.ts';
import { createMessageLookups } from './message-lookups.ts';
import { createApprovalRepository } from './approval.ts';
import { createApprovalMetricsRepository } from './approval-metrics.ts';
import { createReconcileRepository } from './reconcile.ts';
import { createOpsGaugesRepository } from './ops-gauges.ts';
import { createSettingsRepository } from './settings.ts';
import { createWebSessionsRepository } from './web-sessions.ts';
import { createReadMarkersRepository } from './read-markers.ts';
import { createUsersRepository } from './users.ts';
import { createWebhooksRepository } from './webhooks.ts';
import { createEditExamplesRepository } from './edit-examples.ts';

export function createRepositories(models: Models) {
  return {
    accounts: createAccountsRepository(models),
    actors: createActorsRepository(models),
    apiKeys: createApiKeysRepository(models),
    agents: createAgentsRepository(models),
    mailboxes: createMailboxesRepository(models),
    conversations: createConversationsRepository(models),
    messages: createMessagesRepository(models),
    idempotency: createIdempotencyRepository(models),
    messageRedaction: createMessageRedaction(models),
    conversationRedaction: createConversationRedaction(models),
    inbound: createInboundRepository(models),
    agentRuns: createAgentRunsRepository(models),
    drafts: createDraftsRepository(models),
    delivery: createDeliveryRepository(models),
    participants: createParticipantsRepository(models),
    agentAdmin: createAgentAdminRepository(models),
    messageLookups: createMessageLookups(models),
    approval: createApprovalRepository(models),
    approvalMetrics: createApprovalMetricsRepository(models),
    reconcile: createReconcileRepository(models),
    settings: createSettingsRepository(models),
    webSessions: createWebSessionsRepository(models),
    users: createUsersRepository(models),
    readMarkers: createReadMarkersRepository(models),
    audit: createAuditRepository(models),
    webhooks: createWebhooksRepository(models),
    opsGauges: createOpsGaugesRepository(models),
    editExamples: createEditExamplesRepository(models),
    knowledge: createKnowledgeRepository(models),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
