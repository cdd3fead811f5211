// Agent runs: one per (trigger message, agent) and per regeneration a human
// asks for (generation 1, 2, ...), created before the job is
// enqueued so a capped or lost job is still on record. State moves with
// conditional updates, so a canceled run is never revived by a late worker.
import type { AGENT_RUN_INITIAL } from '../../conversations/agent-run-lifecycle.ts';
import { isDuplicateKeyError } from '../errors.ts';
import { newId } from '../ids.ts';
import { UNIQUE_INDEX } from '../index-names.ts';
import type { Models } from '../models/index.ts';
import { paginate, type Page, type PageRequest, type Segment } from '../pagination/keyset.ts';
import type {
  AgentRunCost,
  AgentRunError,
  AgentRunKnowledge,
  AgentRunRecord,
  AgentRunToolCall,
  AgentRunUsage,
  ProposedAction,
} from '../records/agent-run.ts';
import { leanFetch } from './lean-fetch.ts';
import { LIVE_RUNS, runFrom, runTo } from './lifecycle-filters.ts';

export interface NewAgentRun {
  account_id: string;
  conversation_id: string;
  agent_id: string;
  trigger_message_id: string;
  status: (typeof AGENT_RUN_INITIAL)[number];
  error?: AgentRunError | null;
  /** A regeneration's number (1, 2, ...); absent or null for the run its trigger started. */
  generation?: number | null;
}

const LIST = 'agent_runs';

export function createAgentRunsRepository({ AgentRun }: Models) {
  return {
    async get(accountId: string, runId: string): Promise<AgentRunRecord | null> {
      return AgentRun.findOne({ _id: runId, account_id: accountId }).lean<AgentRunRecord>().exec();
    },

    /** Runs by id (a page of messages' agent_run expansions); only within the account. */
    async getMany(accountId: string, ids: Iterable<string | null>): Promise<AgentRunRecord[]> {
      const wanted = [...new Set([...ids].filter((id): id is string => Boolean(id)))];
      if (wanted.length === 0) return [];
      return AgentRun.find({ _id: { $in: wanted }, account_id: accountId })
        .lean<AgentRunRecord[]>()
        .exec();
    },

    /** A conversation's runs, newest first (the index on conversation_id, created_at). */
    async listForConversation(
      accountId: string,
      conversationId: string,
      page: PageRequest = {},
    ): Promise<Page<AgentRunRecord>> {
      const segment: Segment<AgentRunRecord> = {
        filter: { account_id: accountId, conversation_id: conversationId },
        keys: [
          { field: 'created_at', type: 'date' },
          { field: '_id', type: 'string' },
        ],
        direction: -1,
        keyOf: (run) => [run.created_at, run._id],
      };
      return paginate(LIST, [segment], page, leanFetch<AgentRunRecord>(AgentRun));
    },

    /** The run of a trigger and agent: the one the trigger started, or a regeneration's. */
    async findByTrigger(
      triggerMessageId: string,
      agentId: string,
      generation: number | null = null,
    ): Promise<AgentRunRecord | null> {
      return AgentRun.findOne({
        trigger_message_id: triggerMessageId,
        agent_id: agentId,
        // Null matches runs stored before the field existed too.
        generation,
      })
        .lean<AgentRunRecord>()
        .exec();
    },

    /** The newest run of an agent (or of any agent) in a conversation. */
    async latestInConversation(
      accountId: string,
      conversationId: string,
      agentId?: string,
    ): Promise<AgentRunRecord | null> {
      return AgentRun.findOne({
        account_id: accountId,
        conversation_id: conversationId,
        ...(agentId === undefined ? {} : { agent_id: agentId }),
      })
        .sort({ created_at: -1, _id: -1 })
        .lean<AgentRunRecord>()
        .exec();
    },

    /** The highest regeneration number of a trigger and agent; 0 when none was regenerated. */
    async lastGeneration(triggerMessageId: string, agentId: string): Promise<number> {
      const newest = await AgentRun.findOne({
        trigger_message_id: triggerMessageId,
        agent_id: agentId,
        generation: { $gte: 1 },
      })
        .sort({ generation: -1 })
        .lean<AgentRunRecord>()
        .exec();
      return newest?.generation ?? 0;
    },

    /** Create the run of a trigger; `created: false` when it already existed (a replayed trigger). */
    async create(
      input: NewAgentRun,
      now = new Date(),
    ): Promise<{ run: AgentRunRecord; created: boolean }> {
      try {
        const doc = await AgentRun.create({
          _id: newId('run'),
          ...input,
          generation: input.generation ?? null,
          error: input.error ?? null,
          attempts: 0,
          timings: { queued_at: now, started_at: null, first_token_at: null, completed_at: null },
        });
        return { run: doc.toObject<AgentRunRecord>(), created: true };
      } catch (error) {
        if (!isDuplicateKeyError(error, UNIQUE_INDEX.agentRunTrigger)) throw error;
        const existing = await AgentRun.findOne({
          trigger_message_id: input.trigger_message_id,
          agent_id: input.agent_id,
          generation: input.generation ?? null,
        })
          .lean<AgentRunRecord>()
          .exec();
        if (!existing) throw error;
        return { run: existing, created: false };
      }
    },

    /** Runs a conversation started since `since` (the hourly cost cap). Capped ones do not count. */
    async countStartedSince(conversationId: string, since: Date): Promise<number> {
      return AgentRun.countDocuments({
        conversation_id: conversationId,
        status: { $ne: 'capped' },
        'timings.queued_at': { $gte: since },
      }).exec();
    },

    /** Queued or running runs of a conversation, e.g. to abort them for a newer message. */
    async listLive(conversationId: string): Promise<AgentRunRecord[]> {
      return AgentRun.find({ conversation_id: conversationId, ...LIVE_RUNS })
        .lean<AgentRunRecord[]>()
        .exec();
    },

    /** queued/running → running for one more attempt; null when the run is no longer live. */
    async start(
      runId: string,
      model: string | null,
      now = new Date(),
    ): Promise<AgentRunRecord | null> {
      return AgentRun.findOneAndUpdate(
        { _id: runId, ...runFrom('start') },
        {
          $set: { status: runTo('start'), model, 'timings.started_at': now },
          $inc: { attempts: 1 },
        },
        { returnDocument: 'after' },
      )
        .lean<AgentRunRecord>()
        .exec();
    },

    async linkDraft(runId: string, draftId: string, firstTokenAt: Date): Promise<void> {
      await AgentRun.updateOne(
        { _id: runId },
        { $set: { draft_message_id: draftId, 'timings.first_token_at': firstTokenAt } },
      ).exec();
    },

    async complete(
      runId: string,
      result: {
        model: string | null;
        usage: AgentRunUsage | null;
        instructions_version: string;
        context_message_ids: string[];
        first_token_at: Date | null;
        tool_calls?: AgentRunToolCall[];
        proposed_actions?: ProposedAction[];
        cost?: AgentRunCost | null;
        edit_example_ids?: string[];
        knowledge?: AgentRunKnowledge | null;
        language?: string | null;
      },
      now = new Date(),
    ): Promise<boolean> {
      const updated = await AgentRun.updateOne(
        { _id: runId, ...runFrom('complete') },
        {
          $set: {
            status: runTo('complete'),
            model: result.model,
            usage: result.usage,
            instructions_version: result.instructions_version,
            context_message_ids: result.context_message_ids,
            knowledge: result.knowledge ?? null,
            language: result.language ?? null,
            'timings.first_token_at': result.first_token_at,
            'timings.completed_at': now,
            error: null,
            tool_calls: result.tool_calls ?? [],
            proposed_actions: result.proposed_actions ?? [],
            cost: result.cost ?? null,
            edit_example_ids: result.edit_example_ids ?? [],
          },
        },
      ).exec();
      return updated.modifiedCount === 1;
    },

    /** Ends a live run as failed, canceled or capped (a budget refused it); never a completed one. */
    async end(
      runId: string,
      status: 'failed' | 'canceled' | 'capped',
      error: AgentRunError,
      now = new Date(),
    ): Promise<boolean> {
      const transition = status === 'failed' ? 'fail' : status === 'capped' ? 'cap' : 'cancel';
      const updated = await AgentRun.updateOne(
        { _id: runId, ...runFrom(transition) },
        { $set: { status: runTo(transition), error, 'timings.completed_at': now } },
      ).exec();
      return updated.modifiedCount === 1;
    },

    /**
     * What runs cost (their recorded cost.total) in an account, optionally
     * one agent's or one conversation's, created at or after `since`.
     */
    async spent(filter: {
      account_id: string;
      agent_id?: string;
      conversation_id?: string;
      since?: Date;
    }): Promise<number> {
      const [row] = await AgentRun.aggregate<{ total: number }>([
        {
          $match: {
            account_id: filter.account_id,
            ...(filter.agent_id === undefined ? {} : { agent_id: filter.agent_id }),
            ...(filter.conversation_id === undefined
              ? {}
              : { conversation_id: filter.conversation_id }),
            ...(filter.since === undefined ? {} : { created_at: { $gte: filter.since } }),
            'cost.total': { $gt: 0 },
          },
        },
        { $group: { _id: null, total: { $sum: '$cost.total' } } },
      ]).exec();
      return row?.total ?? 0;
    },

    /**
     * Move a proposed action from `from` to `to` (pending → running when
     * approved, pending → rejected), once: null when it is not in `from`.
     */
    async moveAction(
      accountId: string,
      runId: string,
      actionId: string,
      from: ProposedAction['status'],
      to: ProposedAction['status'],
      decidedBy: string,
      now = new Date(),
    ): Promise<AgentRunRecord | null> {
      return AgentRun.findOneAndUpdate(
        {
          _id: runId,
          account_id: accountId,
          proposed_actions: { $elemMatch: { id: actionId, status: from } },
        },
        {
          $set: {
            'proposed_actions.$.status': to,
            'proposed_actions.$.decided_by': decidedBy,
            'proposed_actions.$.decided_at': now,
            ...(to === 'rejected' ? { 'proposed_actions.$.completed_at': now } : {}),
          },
        },
        { returnDocument: 'after' },
      )
        .lean<AgentRunRecord>()
        .exec();
    },

    /** A running proposed action's outcome. */
    async finishAction(
      runId: string,
      actionId: string,
      outcome: { status: 'succeeded' | 'failed'; result: string | null; error: string | null },
      now = new Date(),
    ): Promise<AgentRunRecord | null> {
      return AgentRun.findOneAndUpdate(
        { _id: runId, proposed_actions: { $elemMatch: { id: actionId, status: 'running' } } },
        {
          $set: {
            'proposed_actions.$.status': outcome.status,
            'proposed_actions.$.result': outcome.result,
            'proposed_actions.$.error': outcome.error,
            'proposed_actions.$.completed_at': now,
          },
        },
        { returnDocument: 'after' },
      )
        .lean<AgentRunRecord>()
        .exec();
    },

    /** Record the last error of an attempt that will be retried. */
    async noteError(runId: string, error: AgentRunError): Promise<void> {
      await AgentRun.updateOne(
        { _id: runId, ...runFrom('note_error') },
        { $set: { error, status: runTo('note_error') } },
      ).exec();
    },
  };
}
