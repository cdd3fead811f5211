import type { ActorRecord } from '../records/actor.ts';
import type { ActorType } from '../../conversations/enums.ts';

export interface ActorJson {
  id: string;
  object: 'actor';
  type: ActorType;
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

/** The actor for an id when it was loaded, else null (the seed's "expandable"). */
export function actorOrNull(
  actorId: string | null,
  actors: ReadonlyMap<string, ActorRecord> | undefined,
): ActorJson | null {
  const actor = actorId ? actors?.get(actorId) : undefined;
  return actor ? serializeActor(actor) : null;
}
