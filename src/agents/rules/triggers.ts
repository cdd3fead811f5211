// Which agents a new message wakes up (DESIGN.md "Agent triggers"). Pure: the
// caller resolves the author's actor type and passes the conversation's
// participants and the account's agents.
import type {
  ActorType,
  MessageKind,
  MessageStatus,
  TriggerPolicy,
  Visibility,
} from '../../store/records/enums.ts';
import type { AgentRecord } from '../../store/records/agent.ts';
import type { ParticipantRecord } from '../../store/records/conversation.ts';
import type { MessageRecord } from '../../store/records/message.ts';
import { firstKeywordMatch, normalizeKeywords } from './keywords.ts';
import { mentions } from './mentions.ts';

/**
 * Who wrote a message: the actor type of `author_id` (the person or key that
 * wrote it, not the persona in `sender_id`), `customer` for mail or chat from a
 * customer participant, `system` for Postroom itself, null when unresolved.
 */
export type AuthorType = ActorType | 'customer' | 'system' | null;

/** What the trigger rules need to know about a message. */
export interface TriggerMessage {
  kind: MessageKind;
  status: MessageStatus;
  visibility: Visibility;
  /** Auto-replies, bounces, mailing lists (`email.auto_submitted`); false for non-email. */
  auto_submitted: boolean;
  /** Mail from one of the account's own addresses (`email.from_self`); false for non-email. */
  from_self?: boolean;
  author_type: AuthorType;
  author_id: string | null;
  sender_id: string | null;
}

type HumanFacts = Pick<
  TriggerMessage,
  'kind' | 'status' | 'visibility' | 'auto_submitted' | 'author_type' | 'from_self'
>;

/** The trigger facts of a stored message, given its resolved author type. */
export function triggerMessageOf(
  message: Pick<
    MessageRecord,
    'kind' | 'status' | 'visibility' | 'email' | 'author_id' | 'sender_id'
  >,
  authorType: AuthorType,
): TriggerMessage {
  return {
    kind: message.kind,
    status: message.status,
    visibility: message.visibility,
    auto_submitted: message.email?.auto_submitted ?? false,
    from_self: message.email?.from_self ?? false,
    author_type: authorType,
    author_id: message.author_id,
    sender_id: message.sender_id,
  };
}

/**
 * The text the mention and keyword rules read: for mail the subject and the new
 * part only (`text_new`), so a quoted "@drafter" from an older mail in the
 * thread does not fire again on every reply.
 */
export function triggerText(
  message: Pick<MessageRecord, 'kind' | 'subject' | 'body' | 'text_new'>,
): string {
  const body = message.text_new?.trim() ? message.text_new : (message.body ?? '');
  if (message.kind === 'email' && message.subject) return `${message.subject}\n${body}`;
  return body;
}

/**
 * A customer's email, or a teammate's (or customer's) chat message or internal
 * note, once sent. Never a message an agent, a persona, Postroom or a mail robot
 * produced: an agent answering a robot that answers the agent is a mail loop.
 * Nor mail from our own addresses: an answer to it would go to ourselves.
 */
export function isHumanMessage(message: HumanFacts): boolean {
  if (message.auto_submitted) return false;
  if (message.from_self) return false;
  // Drafts and scheduled messages are not said yet; they are judged when sent.
  if (message.status !== 'sent') return false;
  if (message.visibility === 'system') return false;
  const author = message.author_type;
  switch (message.kind) {
    case 'email':
      // Inbound mail has no actor author; an unresolved author is still the customer.
      return author === null || author === 'customer' || author === 'user' || author === 'api_key';
    case 'chat':
      return author === 'user' || author === 'api_key' || author === 'customer';
    case 'agent':
    case 'system_event':
    case 'alert':
    case 'scheduled':
      return false;
    default:
      return message.kind satisfies never;
  }
}

type TriggerParticipant = Pick<
  ParticipantRecord,
  '_id' | 'type' | 'membership' | 'actor_id' | 'agent_trigger_policy' | 'agent_trigger_keywords'
> &
  Partial<Pick<ParticipantRecord, 'notifications'>>;
type TriggerAgent = Pick<
  AgentRecord,
  '_id' | 'name' | 'handle' | 'status' | 'trigger_policy' | 'trigger_keywords'
>;

export interface AgentTrigger {
  agent_id: string;
  participant_id: string;
  policy: TriggerPolicy;
  /** For the run record and logs: "mentioned", `keyword "refund"`, "always". */
  reason: string;
}

export interface AgentsToTriggerInput {
  message: TriggerMessage;
  /** What to scan for mentions and keywords; see `triggerText`. */
  text: string | null;
  participants: readonly TriggerParticipant[];
  agents: readonly TriggerAgent[];
}

/**
 * One trigger per active agent participant whose policy matches, in participant
 * order. The participant's policy and keywords override the agent's defaults
 * (empty participant keywords fall back to the agent's, so adding an agent with
 * `keyword` and no list keeps its configured list).
 */
export function agentsToTrigger(input: AgentsToTriggerInput): AgentTrigger[] {
  const { message, text } = input;
  if (!isHumanMessage(message)) return [];
  const agents = new Map(input.agents.map((agent) => [agent._id, agent]));
  const triggered: AgentTrigger[] = [];
  const seen = new Set<string>();
  for (const participant of input.participants) {
    if (participant.type !== 'agent' || participant.membership !== 'active') continue;
    const agent = participant.actor_id ? agents.get(participant.actor_id) : undefined;
    if (!agent || agent.status !== 'active' || seen.has(agent._id)) continue;
    // Redundant with isHumanMessage today; kept so no future message kind lets an agent answer itself.
    if (message.author_id === agent._id || message.sender_id === agent._id) continue;
    // A muted agent hears only what is addressed to it: a mention pierces the mute.
    const policy =
      participant.notifications === 'muted'
        ? 'mention'
        : (participant.agent_trigger_policy ?? agent.trigger_policy);
    const reason = matchReason(policy, text, participant, agent);
    if (reason === null) continue;
    seen.add(agent._id);
    triggered.push({ agent_id: agent._id, participant_id: participant._id, policy, reason });
  }
  return triggered;
}

function matchReason(
  policy: TriggerPolicy,
  text: string | null,
  participant: TriggerParticipant,
  agent: TriggerAgent,
): string | null {
  switch (policy) {
    case 'mention':
      return mentions(text, { handle: agent.handle, name: agent.name }) ? 'mentioned' : null;
    case 'keyword': {
      const own = normalizeKeywords(participant.agent_trigger_keywords);
      const keyword = firstKeywordMatch(text, own.length > 0 ? own : agent.trigger_keywords);
      return keyword === null ? null : `keyword "${keyword}"`;
    }
    case 'always':
      return 'always';
    default:
      return policy satisfies never;
  }
}
