// Pure functions from stored records (plus already-loaded related records) to
// the seed API JSON. No I/O: callers load what an include[] asks for.
export { serializeActor, actorOrNull, customerActor, type ActorJson } from './actor.ts';
export { serializeAgentRun, type AgentRunJson } from './agent-run.ts';
export { serializeAttachment, attachmentUrl, type AttachmentJson } from './attachment.ts';
export {
  isoDate,
  list,
  pageInfoFor,
  serializeEntity,
  SINGLE_PAGE,
  type EntityJson,
  type ListJson,
  type PageInfo,
} from './common.ts';
export {
  serializeConversation,
  CONVERSATION_INCLUDES,
  type ConversationInclude,
  type ConversationJson,
  type ConversationRelated,
} from './conversation.ts';
export { serializeDelivery, serializeEmail, type DeliveryJson, type EmailJson } from './email.ts';
export { serializeMessage, type MessageJson, type MessageRelated } from './message.ts';
export { serializeParticipant, type ParticipantJson } from './participant.ts';
export { serializeAuditEntry } from './audit.ts';
