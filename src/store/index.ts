// The store's public surface: connect, repositories (via Store), record types,
// bootstrap, and error helpers (the seed JSON serializers are the API's, in
// src/api/serialize). Everything here
// is mongoose-free for its callers.
export { connectStore, type Store } from './connect.ts';
export type { InboundFailureRecord } from './repositories/inbound.ts';
export type {} from './repositories/files.ts';
export { applyBootstrap } from './bootstrap.ts';
export { InvalidCursorError, isDuplicateKeyError } from './errors.ts';
export { UNIQUE_INDEX } from './index-names.ts';
export { newId, agentIdFor, mailboxIdFor, userIdFor, bareMessageId } from './ids.ts';
export { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './pagination/keyset.ts';
export type * from './records/account.ts';
export type * from './records/actor.ts';
export type * from './records/agent.ts';
export type * from './records/agent-run.ts';
export type * from './records/api-key.ts';
export type * from './records/audit.ts';
export type * from './records/conversation.ts';
export type * from './records/knowledge.ts';
export type * from './records/mailbox.ts';
export type * from './records/message.ts';
export type * from './records/user.ts';
export type * from './records/webhook.ts';
export { WEBHOOK_DELIVERY_STATUSES } from './records/webhook.ts';
export type * from './records/edit-example.ts';
export * from '../conversations/enums.ts';
export type {} from './repositories/index.ts';
export type { UserChanges } from './repositories/users.ts';
export type {
  ConversationChanges,
  NewConversation,
  NewParticipant,
} from './repositories/conversations.ts';
export type {} from './repositories/idempotency.ts';
export type {} from './repositories/message-redaction.ts';
export type { NewMessage } from './repositories/messages.ts';
export type { NewKnowledgeDocument } from './repositories/knowledge.ts';
