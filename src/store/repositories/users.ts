// Users (teammates) and the actor each one is (same _id, type user, handle =
// email). Every write keeps the actor in step, so senders, authors and
// assignees show the user's current name, address and avatar.
//
// Email addresses are unique per account: the unique index decides, across
// processes; the lookup before a write only finds the holder to name.
import type { QueryFilter } from 'mongoose';
import { isDuplicateKeyError } from '../errors.ts';
import { UNIQUE_INDEX } from '../index-names.ts';
import type { Models } from '../models/index.ts';
import { paginate, type Page, type PageRequest, type Segment } from '../pagination/keyset.ts';
import type { UserRecord } from '../records/user.ts';
import { leanFetch } from './lean-fetch.ts';

const LIST = 'users';

/** Everything a user document holds except what the store fills in. */
export type UserFields = Omit<UserRecord, '_id' | 'created_at' | 'updated_at'>;

export type UserChanges = Partial<
  Pick<UserRecord, 'name' | 'email' | 'avatar_url' | 'permissions' | 'password_hash' | 'status'>
>;

export type CreateUserResult =
  { outcome: 'created'; user: UserRecord } | { outcome: 'email_taken'; user_id: string };

export type UpdateUserResult =
  | { outcome: 'updated'; user: UserRecord }
  | { outcome: 'not_found' }
  | { outcome: 'email_taken'; user_id: string };

export function createUsersRepository({ User, Actor }: Models) {
  async function holderOfEmail(accountId: string, email: string): Promise<string | null> {
    const found = await User.findOne({ account_id: accountId, email: email.toLowerCase() })
      .select({ _id: 1 })
      .lean<Pick<UserRecord, '_id'>>()
      .exec();
    return found?._id ?? null;
  }

  async function syncActor(user: UserRecord): Promise<void> {
    await Actor.updateOne(
      { _id: user._id, account_id: user.account_id },
      {
        $set: {
          type: 'user',
          name: user.name,
          handle: user.email,
          avatar_url: user.avatar_url,
        },
      },
      { upsert: true },
    ).exec();
  }

  return {
    async get(accountId: string, userId: string): Promise<UserRecord | null> {
      return User.findOne({ _id: userId, account_id: accountId }).lean<UserRecord>().exec();
    },

    /** The account's users, oldest first, cursor-paginated. */
    async list(accountId: string, page: PageRequest = {}): Promise<Page<UserRecord>> {
      const segment: Segment<UserRecord> = {
        filter: { account_id: accountId },
        keys: [{ field: '_id', type: 'string' }],
        direction: 1,
        keyOf: (u) => [u._id],
      };
      return paginate(LIST, [segment], page, leanFetch<UserRecord>(User));
    },

    /**
     * Active users with this address, in every account unless one is named:
     * for password sign-in only, where the address is all the caller knows.
     */
    async findActiveByEmail(email: string, accountId?: string): Promise<UserRecord[]> {
      const filter: QueryFilter<UserRecord> = {
        email: email.trim().toLowerCase(),
        status: 'active',
        ...(accountId === undefined ? {} : { account_id: accountId }),
      };
      return User.find(filter).limit(20).lean<UserRecord[]>().exec();
    },

    async create(id: string, fields: UserFields): Promise<CreateUserResult> {
      const holder = await holderOfEmail(fields.account_id, fields.email);
      if (holder) return { outcome: 'email_taken', user_id: holder };
      try {
        const created = await User.create({ _id: id, ...fields });
        const user = created.toObject<UserRecord>();
        await syncActor(user);
        return { outcome: 'created', user };
      } catch (error) {
        if (!isDuplicateKeyError(error, UNIQUE_INDEX.userEmail)) throw error;
        return {
          outcome: 'email_taken',
          user_id: (await holderOfEmail(fields.account_id, fields.email)) ?? '(unknown)',
        };
      }
    },

    async update(
      accountId: string,
      userId: string,
      changes: UserChanges,
    ): Promise<UpdateUserResult> {
      if (changes.email !== undefined) {
        const holder = await holderOfEmail(accountId, changes.email);
        if (holder && holder !== userId) return { outcome: 'email_taken', user_id: holder };
      }
      try {
        const user = await User.findOneAndUpdate(
          { _id: userId, account_id: accountId },
          { $set: changes },
          { returnDocument: 'after' },
        )
          .lean<UserRecord>()
          .exec();
        if (!user) return { outcome: 'not_found' };
        await syncActor(user);
        return { outcome: 'updated', user };
      } catch (error) {
        if (!isDuplicateKeyError(error, UNIQUE_INDEX.userEmail) || changes.email === undefined) {
          throw error;
        }
        return {
          outcome: 'email_taken',
          user_id: (await holderOfEmail(accountId, changes.email)) ?? '(unknown)',
        };
      }
    },
  };
}
