import type { Models } from '../models/index.ts';
import type { AgentRecord } from '../records/agent.ts';

export function createAgentsRepository({ Agent }: Models) {
  return {
    async get(accountId: string, agentId: string): Promise<AgentRecord | null> {
      return Agent.findOne({ _id: agentId, account_id: accountId }).lean<AgentRecord>().exec();
    },

    /** By config id (the bootstrap file's `agents[].id`). */
    async getByKey(accountId: string, key: string): Promise<AgentRecord | null> {
      return Agent.findOne({ account_id: accountId, key }).lean<AgentRecord>().exec();
    },

    async getMany(accountId: string, agentIds: readonly string[]): Promise<AgentRecord[]> {
      if (agentIds.length === 0) return [];
      return Agent.find({ _id: { $in: [...agentIds] }, account_id: accountId })
        .sort({ _id: 1 })
        .lean<AgentRecord[]>()
        .exec();
    },

    async list(accountId: string): Promise<AgentRecord[]> {
      return Agent.find({ account_id: accountId }).sort({ key: 1 }).lean<AgentRecord[]>().exec();
    },
  };
}
