// The store's public surface: connect, repositories (via Store), record types,
// serializers to the seed JSON, bootstrap, and error helpers. Everything here
// is mongoose-free for its callers.
export { connectStore, type Store, type ConnectOptions } from './connect.ts';
export type { InboundFailureRecord, WorkflowUpdate } from './repositories/inbound.ts';
export type { FilesRepository, StoredFile, FileInfo, FileMetadata } from './repositories/files.ts';
export { applyBootstrap, type BootstrapSummary } from './bootstrap.ts';
export { InvalidCursorError, StoreConnectError, isDuplicateKeyError } from './errors.ts';
export { UNIQUE_INDEX } from './index-names.ts';
export {
  newId,
  agentIdFor,
  mailboxIdFor,
  userIdFor,
  bareMessageId,
  ID_PREFIXES,
  type IdPrefix,
} from './ids.ts';
export {
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  clampLimit,
  type Page,
  type PageRequest,
} from './pagination/keyset.ts';
export type * from './records/account.ts';
export type * from './records/actor.ts';
export type * from './records/agent.ts';
export type * from './records/agent-run.ts';
export type * from './records/api-key.ts';
export type * from './records/audit.ts';
export type * from './records/conversation.ts';
export type * from './records/mailbox.ts';
export type * from './records/message.ts';
export type * from './records/user.ts';
export * from './records/enums.ts';
export type {
  Repositories,
  AccountsRepository,
  ActorsRepository,
  ApiKeysRepository,
  AgentsRepository,
  MailboxesRepository,
  ConversationsRepository,
  MessagesRepository,
  IdempotencyRepository,
  MessageRedactionRepository,
  UsersRepository,
} from './repositories/index.ts';
export type {
  CreateUserResult,
  UpdateUserResult,
  UserChanges,
  UserFields,
} from './repositories/users.ts';
export type {
  ConversationChanges,
  ConversationFilters,
  NewConversation,
  NewParticipant,
  RedactionMark,
  WorkflowMove,
} from './repositories/conversations.ts';
export type {
  IdempotencyRecord,
  IdempotencyRequest,
  Reservation,
  StoredResponse,
} from './repositories/idempotency.ts';
export type { RedactionPlan } from './repositories/message-redaction.ts';
export type {
  MessageListOptions,
  NewAttachment,
  NewEmailMeta,
  NewMessage,
} from './repositories/messages.ts';
export * from './serialize/index.ts';
