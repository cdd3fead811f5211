// Pure functions from stored records (plus already-loaded related records) to
// the seed API JSON. No I/O: callers load what an include[] asks for.
export {} from './actor.ts';
export { serializeAgentRun } from './agent-run.ts';
export {} from './attachment.ts';
export { isoDate, list, pageInfoFor } from './common.ts';
export {
  serializeConversation,
  CONVERSATION_INCLUDES,
  type ConversationInclude,
  type ConversationJson,
} from './conversation.ts';
export {} from './email.ts';
export {
  serializeMessage,
  MESSAGE_INCLUDES,
  type MessageInclude,
  type MessageJson,
} from './message.ts';
export { serializeParticipant } from './participant.ts';
export { serializeAuditEntry } from './audit.ts';
