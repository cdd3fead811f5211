import type { ActorRecord } from '../../store/records/actor.ts';
import type { CustomerRef, ParticipantRecord } from '../../store/records/conversation.ts';
import type {
  Membership,
  NotificationSetting,
  ParticipantRole,
  ParticipantType,
  TriggerPolicy,
} from '../../conversations/enums.ts';
import { actorOrNull, customerActor, type ActorJson } from './actor.ts';
import { isoDate } from './common.ts';

export interface ParticipantJson {
  id: string;
  object: 'conversation_participant';
  type: ParticipantType;
  role: ParticipantRole;
  membership: Membership;
  notifications: NotificationSetting;
  actor: ActorJson | null;
  agent_trigger_policy: TriggerPolicy | null;
  agent_trigger_keywords: string[];
  // Extras beyond the seed:
  /** For `type: customer`: who the customer is (they have no actor). */
  customer: CustomerRef | null;
  /** The actor's handle; for a customer, their email address. */
  handle: string | null;
  actor_id: string | null;
  joined_at: string;
}

/** The seed says `actor` is "null in this endpoint": emitted here only when the caller loaded it. */
export function serializeParticipant(
  participant: ParticipantRecord,
  actors?: ReadonlyMap<string, ActorRecord>,
): ParticipantJson {
  const isAgent = participant.type === 'agent';
  const actor = participant.customer
    ? customerActor(participant._id, participant.customer)
    : actorOrNull(participant.actor_id, actors);
  return {
    id: participant._id,
    object: 'conversation_participant',
    type: participant.type,
    role: participant.role,
    membership: participant.membership,
    notifications: participant.notifications,
    actor,
    agent_trigger_policy: isAgent ? participant.agent_trigger_policy : null,
    agent_trigger_keywords: isAgent ? [...participant.agent_trigger_keywords] : [],
    customer: participant.customer
      ? { name: participant.customer.name, address: participant.customer.address }
      : null,
    handle: actor?.handle ?? null,
    actor_id: participant.actor_id,
    joined_at: isoDate(participant.joined_at),
  };
}
