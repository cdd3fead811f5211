import type { Permission } from '../../config/bootstrap-schema.ts';
import type { RecordSource } from './enums.ts';

/** An API key. The key itself is never stored: only its sha256 and a redacted display. */
export interface ApiKeyRecord {
  _id: string;
  account_id: string;
  /** Unique per account; the bootstrap file matches keys by name. */
  name: string;
  /** sha256 hex of the key. */
  key_hash: string;
  /** Redacted value such as `pk_t…_123`, also the handle of the key's actor. */
  display: string;
  permissions: Permission[];
  /** The key's own actor (type api_key): who a bare key's writes are by. */
  actor_id: string;
  /** The user the key acts as (their actor is then the caller), or null: a bare key. */
  user_id: string | null;
  /** Who manages the key: the bootstrap file revokes its own keys when they leave the file. */
  source: RecordSource;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
  updated_at: Date;
}
