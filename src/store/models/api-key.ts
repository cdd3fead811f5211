import { Schema } from 'mongoose';
import { ALL_PERMISSIONS } from '../../config/bootstrap-schema.ts';
import type { ApiKeyRecord } from '../records/api-key.ts';
import { RECORD_SOURCES } from '../records/enums.ts';
import {
  baseOptions,
  enumWithDefault,
  nullableDate,
  nullableString,
  requiredString,
} from './common.ts';

export const apiKeySchema = new Schema<ApiKeyRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    name: requiredString,
    key_hash: requiredString,
    display: requiredString,
    permissions: { type: [{ type: String, enum: ALL_PERMISSIONS as string[] }], default: [] },
    actor_id: requiredString,
    user_id: nullableString,
    source: enumWithDefault(RECORD_SOURCES, 'api'),
    revoked_at: nullableDate,
    last_used_at: nullableDate,
  },
  baseOptions('api_keys'),
);

// Lookup by hash is the authentication path: an equality match on a unique
// index, so no key-dependent comparison happens in our code.
apiKeySchema.index({ key_hash: 1 }, { unique: true });
apiKeySchema.index({ account_id: 1, name: 1 }, { unique: true });
