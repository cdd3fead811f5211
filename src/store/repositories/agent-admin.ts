// Agents managed through the admin API: create (with the actor the agent is)
// and update. Reads stay in agents.ts.
//
// Handles are unique among an account's active agents, case-insensitively, so
// "@Drafter" names one agent: the unique index on `handle_lower` decides,
// across processes; the check before each write finds the holder to name.
import { isDuplicateKeyError } from '../errors.ts';
import { UNIQUE_INDEX } from '../index-names.ts';
import type { Models } from '../models/index.ts';
import type { AgentRecord } from '../records/agent.ts';
import { createKeyedLock } from './keyed-lock.ts';

/** Everything an agent document holds except what the store fills in. */
export type AgentFields = Omit<AgentRecord, '_id' | 'created_at' | 'updated_at' | 'handle_lower'>;

export type AgentChanges = Partial<
  Pick<
    AgentRecord,
    | 'name'
    | 'handle'
    | 'provider'
    | 'instructions'
    | 'instructions_version'
    | 'trigger_policy'
    | 'trigger_keywords'
    | 'status'
  >
>;

export type CreateAgentResult =
  | { outcome: 'created'; agent: AgentRecord }
  | { outcome: 'key_taken' }
  | { outcome: 'handle_taken'; agent_id: string };

export type UpdateAgentResult =
  | { outcome: 'updated'; agent: AgentRecord }
  | { outcome: 'not_found' }
  | { outcome: 'handle_taken'; agent_id: string };

export function createAgentAdminRepository({ Agent, Actor }: Models) {
  const perAccount = createKeyedLock();

  async function holderOfHandle(
    accountId: string,
    handle: string,
    exceptId: string | null,
  ): Promise<string | null> {
    const found = await Agent.findOne({
      account_id: accountId,
      handle_lower: handle.toLowerCase(),
      status: 'active',
      ...(exceptId ? { _id: { $ne: exceptId } } : {}),
    })
      .select({ _id: 1 })
      .lean<Pick<AgentRecord, '_id'>>()
      .exec();
    return found?._id ?? null;
  }

  return {
    /**
     * Create an agent with the given id and its actor (type agent, same id).
     * The actor goes first, only if absent: an agent never exists without the
     * actor it is, and a create that loses the key race leaves the winner's
     * actor alone. The winner then sets the actor's name.
     */
    async create(id: string, fields: AgentFields): Promise<CreateAgentResult> {
      const accountId = fields.account_id;
      return perAccount(accountId, async () => {
        const holder = await holderOfHandle(accountId, fields.handle, null);
        if (holder) return { outcome: 'handle_taken', agent_id: holder };
        if (
          await Agent.exists({ account_id: accountId, $or: [{ _id: id }, { key: fields.key }] })
        ) {
          return { outcome: 'key_taken' };
        }
        await Actor.updateOne(
          { _id: id, account_id: accountId },
          { $setOnInsert: { type: 'agent', name: fields.name, handle: null, avatar_url: null } },
          { upsert: true },
        ).exec();
        try {
          const created = await Agent.create({
            _id: id,
            ...fields,
            handle_lower: fields.handle.toLowerCase(),
          });
          await Actor.updateOne(
            { _id: id, account_id: accountId },
            { $set: { name: fields.name } },
          );
          return { outcome: 'created', agent: created.toObject<AgentRecord>() };
        } catch (error) {
          if (isDuplicateKeyError(error, UNIQUE_INDEX.agentHandle)) {
            // Another process took the handle since the check above.
            const holder = await holderOfHandle(accountId, fields.handle, null);
            if (holder) return { outcome: 'handle_taken', agent_id: holder };
          }
          if (isDuplicateKeyError(error)) return { outcome: 'key_taken' };
          throw error;
        }
      });
    },

    /** Set some fields (updated_at bumps); a new name is the actor's name too. */
    async update(
      accountId: string,
      agentId: string,
      changes: AgentChanges,
    ): Promise<UpdateAgentResult> {
      return perAccount(accountId, async () => {
        if (changes.handle !== undefined) {
          const holder = await holderOfHandle(accountId, changes.handle, agentId);
          if (holder) return { outcome: 'handle_taken', agent_id: holder };
        }
        const set =
          changes.handle === undefined
            ? { ...changes }
            : { ...changes, handle_lower: changes.handle.toLowerCase() };
        let updated: AgentRecord | null;
        try {
          updated = await Agent.findOneAndUpdate(
            { _id: agentId, account_id: accountId },
            { $set: set },
            { returnDocument: 'after' },
          )
            .lean<AgentRecord>()
            .exec();
        } catch (error) {
          // A new handle, or re-enabling an agent whose handle another one took meanwhile.
          if (!isDuplicateKeyError(error, UNIQUE_INDEX.agentHandle)) throw error;
          const handle =
            changes.handle ??
            (await Agent.findOne({ _id: agentId, account_id: accountId }).lean<AgentRecord>())
              ?.handle;
          const holder = handle ? await holderOfHandle(accountId, handle, agentId) : null;
          if (!holder) throw error;
          return { outcome: 'handle_taken', agent_id: holder };
        }
        if (!updated) return { outcome: 'not_found' };
        if (changes.name !== undefined) {
          await Actor.updateOne(
            { _id: agentId, account_id: accountId },
            { $set: { name: changes.name }, $setOnInsert: { type: 'agent', handle: null } },
            { upsert: true },
          ).exec();
        }
        return { outcome: 'updated', agent: updated };
      });
    },
  };
}
