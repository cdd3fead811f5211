import type { Permission } from '../../config/bootstrap-schema.ts';
import type { RecordSource, UserStatus } from './enums.ts';

/**
 * A teammate who signs in (password) or acts through an API key that names
 * them. The user's actor (type `user`, handle = email) has the same `_id`, so
 * messages, approvals and reads written by the user point at it directly.
 */
export interface UserRecord {
  _id: string;
  account_id: string;
  /** The bootstrap file's id for the user; null for users created through the API. */
  key: string | null;
  name: string;
  /** Lower-cased; unique per account; the actor's handle. */
  email: string;
  avatar_url: string | null;
  permissions: Permission[];
  /** argon2id PHC string, or null: no password sign-in. Never serialized. */
  password_hash: string | null;
  status: UserStatus;
  source: RecordSource;
  created_at: Date;
  updated_at: Date;
}
