import type { ActorRecord } from '../../store/records/actor.ts';
import type { ConversationRecord } from '../../store/records/conversation.ts';
import type {
  ActorType,
  Audience,
  ConversationStatus,
  ConversationType,
  LegalHold,
  Priority,
  WorkflowStatus,
} from '../../conversations/enums.ts';
import type { MessageRecord } from '../../store/records/message.ts';
import { actorOrNull, customerActor, type ActorJson } from './actor.ts';
import { isoDate, list, serializeEntity, type EntityJson, type ListJson } from './common.ts';
import { serializeMessage, type MessageJson } from './message.ts';
import { serializeParticipant, type ParticipantJson } from './participant.ts';
import { caseFields, type CaseFieldsJson } from './case-fields.ts';

/** The seed's include[] values, plus `last_message` (also expandable in the seed). */
export const CONVERSATION_INCLUDES = ['assignee', 'group', 'participants', 'last_message'] as const;
export type ConversationInclude = (typeof CONVERSATION_INCLUDES)[number];

export interface ConversationJson extends CaseFieldsJson {
  id: string;
  object: 'conversation';
  type: ConversationType;
  audience: Audience;
  title: string | null;
  /** Seed D's name for `title`. */
  subject: string | null;
  workflow_status: WorkflowStatus | null;
  /** Postroom has no messaging groups (rosters) yet: always null. */
  group: null;
  status: ConversationStatus;
  legal_hold: LegalHold;
  assignee: ActorJson | null;
  participants: ListJson<ParticipantJson> | null;
  topic: EntityJson | null;
  /** Sent messages the caller has not read, their own not counted. */
  unread: number;
  last_message_at: string | null;
  last_message: MessageJson | null;
  created_at: string;
  updated_at: string;
  // Extras beyond the seed:
  /** Seed B's name for `unread`. */
  unread_message_count: number;
  priority: Priority;
  is_spam: boolean;
  spam_score: number | null;
  first_response_at: string | null;
  mailbox_id: string | null;
  assignee_id: string | null;
  /** Seed D: `user` or `agent`, or `group` for a team or persona; null when unassigned. */
  assignee_type: ActorType | null;
  /** Seed C: a teammate marked the case as awaiting something (actions/set-awaiting). */
  awaiting: boolean;
  /** Seed C: the customer who opened the case (their first mail), in the actor shape. */
  reporter: ActorJson | null;
  last_message_id: string | null;
  redacted_at: string | null;
}

export interface ConversationRelated {
  /** Expansions asked for (`include[]`); everything else expandable is null. */
  include?: ReadonlySet<ConversationInclude>;
  /** Loaded actors: the assignee's and the participants' (when included). */
  actors?: ReadonlyMap<string, ActorRecord>;
  lastMessage?: MessageRecord | null;
  /** The caller's unread count (store.readMarkers.unreadCounts). */
  unread?: number;
  /** The caller's actor: their hidden membership makes `status` hidden (seed). */
  readerId?: string;
}

// Members who still belong to the conversation: the seed lists "the active
// participants"; `hidden` ones are still members who only hid it from their list.
const LISTED_MEMBERSHIPS = new Set(['active', 'hidden']);

export function serializeConversation(
  conversation: ConversationRecord,
  related: ConversationRelated = {},
): ConversationJson {
  const include = related.include ?? new Set<ConversationInclude>();
  const participants = include.has('participants')
    ? list(
        conversation.participants
          .filter((p) => LISTED_MEMBERSHIPS.has(p.membership))
          .map((p) => serializeParticipant(p, related.actors)),
      )
    : null;
  const lastMessage =
    include.has('last_message') && related.lastMessage
      ? serializeMessage(related.lastMessage)
      : null;
  // Without a caller (a realtime update fanned out to everyone), the stored
  // count of customer mail not yet read by anyone.
  const unread = related.unread ?? conversation.unread;
  return {
    id: conversation._id,
    object: 'conversation',
    type: conversation.type,
    audience: conversation.audience,
    title: conversation.title,
    subject: conversation.title,
    workflow_status: conversation.workflow_status,
    group: null,
    status: hiddenFor(conversation, related.readerId) ? 'hidden' : conversation.status,
    legal_hold: conversation.legal_hold,
    assignee: include.has('assignee')
      ? actorOrNull(conversation.assignee_id, related.actors)
      : null,
    participants,
    topic: serializeEntity(conversation.topic),
    unread,
    last_message_at: isoDate(conversation.last_message_at),
    last_message: lastMessage,
    created_at: isoDate(conversation.created_at),
    updated_at: isoDate(conversation.updated_at),
    unread_message_count: unread,
    ...caseFields(conversation),
    priority: conversation.priority,
    is_spam: conversation.is_spam,
    spam_score: conversation.spam_score,
    first_response_at: isoDate(conversation.first_response_at),
    mailbox_id: conversation.mailbox_id,
    assignee_id: conversation.assignee_id,
    assignee_type: conversation.assignee_id === null ? null : (conversation.assignee_type ?? null),
    awaiting: conversation.awaiting ?? false,
    reporter: reporterOf(conversation),
    last_message_id: conversation.last_message_id,
    redacted_at: isoDate(conversation.redacted_at),
  };
}

/** Whether the caller is a member who hid the conversation from their own list. */
function hiddenFor(conversation: ConversationRecord, readerId: string | undefined): boolean {
  if (readerId === undefined) return false;
  return conversation.participants.some(
    (p) => p.actor_id === readerId && p.membership === 'hidden',
  );
}

/**
 * The customer who opened the case: the earliest customer participant, whatever
 * their membership now (later ones were cc'd or joined the thread). Read from
 * the participant, so a redaction that erases it erases this too.
 */
function reporterOf(conversation: ConversationRecord): ActorJson | null {
  let first: ConversationRecord['participants'][number] | null = null;
  for (const participant of conversation.participants) {
    if (!participant.customer) continue;
    if (!first || participant.joined_at < first.joined_at) first = participant;
  }
  return first?.customer ? customerActor(first._id, first.customer) : null;
}
