// The user resource of the admin API and its request bodies. The password is
// write-only: the JSON says whether one is set (`has_password`) and is built
// field by field, so the stored hash can never leak into it.
import { z } from 'zod';
import { ALL_PERMISSIONS, type Permission } from '../../config/bootstrap-schema.ts';
import {
  USER_STATUSES,
  type RecordSource,
  type UserRecord,
  type UserStatus,
} from '../../store/index.ts';
import { isoDate } from '../serialize/index.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../platform/passwords.ts';

export interface UserJson {
  /** Also the id of the user's actor (sender, author, assignee, participant). */
  id: string;
  object: 'user';
  name: string;
  email: string;
  /** The actor's handle: the email address (seed: user actors). */
  handle: string;
  avatar_url: string | null;
  permissions: Permission[];
  status: UserStatus;
  has_password: boolean;
  /** `bootstrap` users are managed by POSTROOM_CONFIG, `api` ones here. */
  source: RecordSource;
  created_at: string;
  updated_at: string;
}

export function serializeUser(user: UserRecord): UserJson {
  return {
    id: user._id,
    object: 'user',
    name: user.name,
    email: user.email,
    handle: user.email,
    avatar_url: user.avatar_url,
    permissions: [...user.permissions],
    status: user.status,
    has_password: user.password_hash !== null,
    source: user.source,
    created_at: isoDate(user.created_at),
    updated_at: isoDate(user.updated_at),
  };
}

const name = z.string().trim().min(1, 'must not be empty').max(200);
const email = z.email({ message: 'must be an email address' }).max(320);
const avatarUrl = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
  .max(2000)
  .nullable();
const permissions = z.array(z.enum(ALL_PERMISSIONS as [Permission, ...Permission[]])).max(10);
const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`);

export const createUserBody = z.strictObject({
  name,
  email,
  avatar_url: avatarUrl.optional(),
  permissions: permissions.default([]),
  password: password.optional(),
});

export const patchUserBody = z.strictObject({
  name: name.optional(),
  email: email.optional(),
  avatar_url: avatarUrl.optional(),
  permissions: permissions.optional(),
  /** null removes the password: no more password sign-in. */
  password: password.nullable().optional(),
  status: z.enum(USER_STATUSES).optional(),
});
