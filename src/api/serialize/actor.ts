import type { ActorRecord } from '../../store/records/actor.ts';
import type { CustomerRef } from '../../store/records/conversation.ts';
import type { ActorType } from '../../conversations/enums.ts';

export interface ActorJson {
  id: string;
  object: 'actor';
  /** `customer`: the external party of a case (no stored actor; see customerActor). */
  type: ActorType | 'customer';
  name: string | null;
  handle: string | null;
  avatar_url: string | null;
  /** The seed: "Always returned as null in this endpoint". */
  role: null;
}

export function serializeActor(actor: ActorRecord): ActorJson {
  return {
    id: actor._id,
    object: 'actor',
    type: actor.type,
    name: actor.name,
    handle: actor.handle,
    // The seed: only populated for user actors.
    avatar_url: actor.type === 'user' ? actor.avatar_url : null,
    role: null,
  };
}

/**
 * A case's customer in the actor shape: the sender of their mail and the
 * actor of their participant. Customers have no stored actor (they are no
 * account's users): the id is their participant's, name and handle (the
 * address) come from what Postroom stored of them, so redacting those erases
 * this too.
 */
export function customerActor(participantId: string, customer: CustomerRef): ActorJson {
  return {
    id: participantId,
    object: 'actor',
    type: 'customer',
    name: customer.name,
    handle: customer.address,
    avatar_url: null,
    role: null,
  };
}

/** The actor for an id when it was loaded, else null (the seed's "expandable"). */
export function actorOrNull(
  actorId: string | null,
  actors: ReadonlyMap<string, ActorRecord> | undefined,
): ActorJson | null {
  const actor = actorId ? actors?.get(actorId) : undefined;
  return actor ? serializeActor(actor) : null;
}
