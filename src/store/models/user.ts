import { Schema } from 'mongoose';
import { ALL_PERMISSIONS } from '../../config/bootstrap-schema.ts';
import { UNIQUE_INDEX } from '../index-names.ts';
import { RECORD_SOURCES, USER_STATUSES } from '../records/enums.ts';
import type { UserRecord } from '../records/user.ts';
import { baseOptions, enumWithDefault, nullableString, requiredString } from './common.ts';

export const userSchema = new Schema<UserRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    key: nullableString,
    name: requiredString,
    email: { type: String, required: true, lowercase: true, trim: true },
    avatar_url: nullableString,
    permissions: { type: [{ type: String, enum: ALL_PERMISSIONS as string[] }], default: [] },
    password_hash: nullableString,
    status: enumWithDefault(USER_STATUSES, 'active'),
    source: enumWithDefault(RECORD_SOURCES, 'api'),
  },
  baseOptions('users'),
);

// Per account, not global: a tenant creating a user must learn nothing about
// another tenant's addresses (a global index would answer "taken").
userSchema.index({ account_id: 1, email: 1 }, { name: UNIQUE_INDEX.userEmail, unique: true });
// Password sign-in knows only the address.
userSchema.index({ email: 1 });
// The admin list: oldest first, by id (ids sort by creation time).
userSchema.index({ account_id: 1, _id: 1 });
