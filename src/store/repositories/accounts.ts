import type { Models } from '../models/index.ts';
import type { AccountRecord } from '../records/account.ts';
import type { ActorRecord } from '../records/actor.ts';

export function createAccountsRepository({ Account }: Models) {
  return {
    async get(accountId: string): Promise<AccountRecord | null> {
      return Account.findById(accountId).lean<AccountRecord>().exec();
    },

    async list(): Promise<AccountRecord[]> {
      return Account.find().sort({ _id: 1 }).lean<AccountRecord[]>().exec();
    },
  };
}

export function createActorsRepository({ Actor }: Models) {
  return {
    async get(accountId: string, actorId: string): Promise<ActorRecord | null> {
      return Actor.findOne({ _id: actorId, account_id: accountId }).lean<ActorRecord>().exec();
    },

    /** Actors by id, for serializers expanding sender/author/assignee; unknown ids are absent. */
    async getMany(
      accountId: string,
      actorIds: Iterable<string | null>,
    ): Promise<Map<string, ActorRecord>> {
      const ids = [...new Set([...actorIds].filter((id): id is string => Boolean(id)))];
      if (ids.length === 0) return new Map();
      const actors = await Actor.find({ _id: { $in: ids }, account_id: accountId })
        .lean<ActorRecord[]>()
        .exec();
      return new Map(actors.map((actor) => [actor._id, actor]));
    },
  };
}
