import type { ActorRecord } from '../../store/records/actor.ts';
import type { AgentRunRecord } from '../../store/records/agent-run.ts';
import type {
  Channel,
  MessageKind,
  MessageStatus,
  StreamingState,
  Visibility,
} from '../../conversations/enums.ts';
import type { MessageRecord } from '../../store/records/message.ts';
import { actorOrNull, customerActor, type ActorJson } from './actor.ts';
import { serializeAgentRun, type AgentRunJson } from './agent-run.ts';
import { serializeAttachment, type AttachmentJson } from './attachment.ts';
import { isoDate, list, serializeEntity, type EntityJson, type ListJson } from './common.ts';
import { serializeDelivery, serializeEmail, type DeliveryJson, type EmailJson } from './email.ts';

export interface MessageJson {
  id: string;
  object: 'chat_message';
  kind: MessageKind;
  status: MessageStatus;
  visibility: Visibility;
  /** The seed: "Always returned as null in this endpoint" (see conversation_id). */
  conversation: null;
  /** Only sent messages have one. */
  sequence: number | null;
  body: string | null;
  subject: string | null;
  sender: ActorJson | null;
  author: ActorJson | null;
  attachments: ListJson<AttachmentJson>;
  /** The message this one answers (one level: its own reply_to is null); see reply_to_id. */
  reply_to: MessageJson | null;
  resource: EntityJson | null;
  channel: Channel;
  scheduled_at: string | null;
  agent_run: AgentRunJson | null;
  streaming_state: StreamingState | null;
  client_message_id: string | null;
  edited_at: string | null;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
  // Extras beyond the seed:
  conversation_id: string;
  sender_id: string | null;
  author_id: string | null;
  reply_to_id: string | null;
  agent_run_id: string | null;
  email: EmailJson | null;
  delivery: DeliveryJson | null;
  parse_error: string | null;
  /**
   * `body` holds only the first MiB of the text: GET /v1/messaging/messages/{id}/body has
   * all of it (as it has any message's body).
   */
  body_truncated: boolean;
  /** The message has an HTML body: GET /v1/messaging/messages/{id}/html. */
  has_html: boolean;
  /** Why a draft was rejected (by a human, or by a run that failed for good). */
  rejection: {
    reason: string | null;
    rejected_by: string | null;
    rejected_at: string | null;
  } | null;
  /** Why a draft was superseded: a human asked for a new draft (regenerate). */
  supersession: {
    reason: string;
    superseded_by: string | null;
    superseded_at: string | null;
    agent_run_id: string | null;
  } | null;
  /** Why a scheduled message was canceled. */
  cancel: { reason: string | null; canceled_by: string | null; canceled_at: string | null } | null;
  /** Who approved what was sent, and how far it was edited from the draft. */
  approval: {
    approved_by: string | null;
    approved_at: string | null;
    edit_distance: number | null;
  } | null;
  /** The knowledge passages an agent's draft cites (its [K1] markers); [] when none. */
  citations: Array<{
    label: string;
    passage_id: string;
    document_id: string;
    source: 'folder' | 'upload' | 'reply';
    title: string;
  }>;
  redacted_at: string | null;
}

/**
 * The message's expandable sub-objects (the seed's `sender`, `author` and `agent_run`:
 * "Expandable, nullable"): null unless the caller's include[] names them.
 */
export const MESSAGE_INCLUDES = ['sender', 'author', 'agent_run'] as const;
export type MessageInclude = (typeof MESSAGE_INCLUDES)[number];

export interface MessageRelated {
  /** Loaded actors: sender and author are emitted when present here. */
  actors?: ReadonlyMap<string, ActorRecord>;
  /** What the caller expanded; absent: both (realtime events always carry them). */
  include?: ReadonlySet<MessageInclude>;
  /** The run that produced the message, when the caller expanded it. */
  agentRun?: AgentRunRecord | null;
  /** The message reply_to_id names, when the caller loaded it. */
  replyTo?: MessageRecord | null;
}

export function serializeMessage(
  message: MessageRecord,
  related: MessageRelated = {},
): MessageJson {
  const expand = (what: MessageInclude): boolean => !related.include || related.include.has(what);
  const agentRun =
    related.agentRun && related.agentRun._id === message.agent_run_id
      ? serializeAgentRun(related.agentRun)
      : null;
  return {
    id: message._id,
    object: 'chat_message',
    kind: message.kind,
    status: message.status,
    visibility: message.visibility,
    conversation: null,
    sequence: message.sequence ?? null,
    body: message.body,
    subject: message.subject,
    sender: expand('sender')
      ? (actorOrNull(message.sender_id, related.actors) ?? customerSender(message))
      : null,
    author: expand('author') ? actorOrNull(message.author_id, related.actors) : null,
    attachments: list(message.attachments.map((a) => serializeAttachment(a, message.created_at))),
    reply_to:
      related.replyTo && related.replyTo._id === message.reply_to_id
        ? serializeMessage(related.replyTo, {
            ...(related.actors ? { actors: related.actors } : {}),
            ...(related.include ? { include: related.include } : {}),
          })
        : null,
    resource: serializeEntity(message.resource),
    channel: message.channel,
    scheduled_at: isoDate(message.scheduled_at),
    agent_run: agentRun,
    streaming_state: message.streaming_state,
    client_message_id: message.client_message_id ?? null,
    edited_at: isoDate(message.edited_at),
    deleted_at: isoDate(message.deleted_at),
    created_at: isoDate(message.created_at),
    updated_at: isoDate(message.updated_at),
    conversation_id: message.conversation_id,
    sender_id: message.sender_id,
    author_id: message.author_id,
    reply_to_id: message.reply_to_id,
    agent_run_id: message.agent_run_id,
    email: serializeEmail(message.email),
    delivery: serializeDelivery(message.delivery),
    parse_error: message.parse_error,
    body_truncated: Boolean(message.body_files?.text),
    has_html: message.html !== null && message.html !== undefined,
    rejection: message.rejection
      ? {
          reason: message.rejection.reason,
          rejected_by: message.rejection.rejected_by,
          rejected_at: isoDate(message.rejection.rejected_at),
        }
      : null,
    supersession: message.supersession
      ? {
          reason: message.supersession.reason,
          superseded_by: message.supersession.superseded_by,
          superseded_at: isoDate(message.supersession.superseded_at),
          agent_run_id: message.supersession.agent_run_id,
        }
      : null,
    cancel: message.cancel
      ? {
          reason: message.cancel.reason,
          canceled_by: message.cancel.canceled_by,
          canceled_at: isoDate(message.cancel.canceled_at),
        }
      : null,
    approval: message.approval
      ? {
          approved_by: message.approval.approved_by,
          approved_at: isoDate(message.approval.approved_at),
          edit_distance: message.approval.edit_distance,
        }
      : null,
    citations: (message.citations ?? []).map((c) => ({
      label: c.label,
      passage_id: c.passage_id,
      document_id: c.document_id,
      source: c.source,
      title: c.title,
    })),
    redacted_at: isoDate(message.redacted_at),
  };
}

/** An inbound customer mail's sender: the customer, as their participant on the case. */
function customerSender(message: MessageRecord): ActorJson | null {
  const from = message.email?.from;
  if (message.kind !== 'email' || message.sender_id !== null || !message.participant_id)
    return null;
  if (!from || message.email?.from_self) return null;
  return customerActor(message.participant_id, {
    name: from.name,
    address: from.address.toLowerCase(),
  });
}
