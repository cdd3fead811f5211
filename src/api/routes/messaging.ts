// Every messaging route over the store, in the order the /v1 app registers
// them. The Idempotency-Key hooks come first so they wrap every mutating call.
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/index.ts';
import { idempotencyHooks } from '../idempotency.ts';
import { agentRunRoutes } from './agent-runs.ts';
import { approvalMetricsRoutes } from './approval-metrics.ts';
import { attachmentRoutes } from './attachments.ts';
import { conversationActionRoutes } from './conversation-actions.ts';
import { caseActionRoutes } from './case-actions.ts';
import { caseChangeEvents } from './case-change-events.ts';
import { conversationMarkReadRoutes } from './conversation-mark-read.ts';
import { conversationAuditRoutes } from './conversation-audit.ts';
import { conversationRegenerateRoutes } from './conversation-regenerate.ts';
import { conversationRedactRoutes } from './conversation-redact.ts';
import { participantSettingRoutes } from './participant-settings.ts';
import { conversationUpdateRoutes } from './conversation-update.ts';
import { conversationReadRoutes } from './conversations.ts';
import { mailboxReadRoutes } from './mailboxes.ts';
import { messageActionRoutes, type MessageActionDeps } from './message-actions.ts';
import { messageBodyRoutes } from './message-bodies.ts';
import { messageReadRoutes } from './messages.ts';

export function messagingRoutes(
  store: Store,
  /** The approve/reject/retry/cancel and regenerate actions need the queues and Redis; without them they are not served. */
  actions?: MessageActionDeps,
): Array<(v1: FastifyInstance) => void> {
  return [
    idempotencyHooks(store),
    ...(actions ? [caseChangeEvents(actions)] : []),
    conversationReadRoutes(store),
    mailboxReadRoutes(store),
    conversationUpdateRoutes(store),
    conversationActionRoutes(store),
    caseActionRoutes(store),
    conversationRedactRoutes(store, actions),
    conversationMarkReadRoutes(store),
    participantSettingRoutes(store),
    conversationAuditRoutes(store),
    messageReadRoutes(store),
    messageBodyRoutes(store),
    attachmentRoutes(store),
    approvalMetricsRoutes(store),
    agentRunRoutes(store),
    ...(actions ? [messageActionRoutes(actions), conversationRegenerateRoutes(actions)] : []),
  ];
}
