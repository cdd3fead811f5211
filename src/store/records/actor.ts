import type { ActorType } from '../../conversations/enums.ts';

/** Who acts: a user, an API key, an agent or a group persona. */
export interface ActorRecord {
  _id: string;
  account_id: string;
  type: ActorType;
  name: string | null;
  /** Users: their email; API keys: the redacted key value; others: null. */
  handle: string | null;
  avatar_url: string | null;
  created_at: Date;
  updated_at: Date;
}
