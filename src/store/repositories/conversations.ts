import { nextWorkflow, type WorkflowEvent } from '../../conversations/workflow.ts';
import { bareMessageId, newId, newReplyToken } from '../ids.ts';
import type { Models } from '../models/index.ts';
import { isDuplicateKeyError } from '../errors.ts';
import { UNIQUE_INDEX } from '../index-names.ts';
import {
  paginate,
  type Filter,
  type Page,
  type PageRequest,
  type Segment,
} from '../pagination/keyset.ts';
import type {
  ActorType,
  Audience,
  LegalHold,
  Priority,
  WorkflowStatus,
} from '../../conversations/enums.ts';
import type { ConversationRecord, ParticipantRecord } from '../records/conversation.ts';
import { createAuditRepository } from './audit.ts';
import { leanFetch } from './lean-fetch.ts';

export interface ConversationFilters {
  workflow_status?: readonly WorkflowStatus[];
  audience?: Audience;
  /** The mailbox config key. */
  mailbox_id?: string;
  /** The assignee's actor id; null for unassigned cases. */
  assignee_id?: string | null;
  /** Words searched, case-insensitive, in the subject, the customer's name or address, and bodies. */
  q?: string;
}

// A search looks in at most this many matching messages: enough to list the
// cases a person would scroll through, bounded so a common word stays cheap.
const MAX_SEARCHED_MESSAGES = 2_000;

/** The search text as a literal, case-insensitive pattern: a tenant's input is never a regex. */
function literalPattern(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
}

/** A participant to add; ids and defaults are filled in. */
export type NewParticipant = Partial<Omit<ParticipantRecord, 'type'>> &
  Pick<ParticipantRecord, 'type'>;

export type NewConversation = Partial<
  Omit<
    ConversationRecord,
    | '_id'
    | 'case_number'
    | 'participants'
    | 'email_thread'
    | 'created_at'
    | 'updated_at'
    | 'last_sequence'
  >
> &
  Pick<ConversationRecord, 'account_id' | 'type' | 'audience'> & {
    participants?: NewParticipant[];
    /** Thread keys; the reply token is generated. */
    email_thread?: {
      root_message_id: string | null;
      subject_normalized: string | null;
      root_hash?: string | null;
      root_key?: string;
    } | null;
  };

/** Fields PATCH /conversations/{id} may change; absent ones stay as they are. */
export interface ConversationChanges {
  title?: string | null;
  priority?: Priority;
  assignee_id?: string | null;
  assignee_type?: ActorType | null;
  is_spam?: boolean;
  awaiting?: boolean;
}

/** A workflow move (from nextWorkflow): closed_at undefined means unchanged. */
export interface WorkflowMove {
  workflow_status: WorkflowStatus;
  closed_at?: Date | null;
}

export type RedactionMark =
  | { outcome: 'marked'; conversation: ConversationRecord }
  | { outcome: 'legal_hold' }
  | { outcome: 'not_found' };

// Each conditional move has one winner per round: a few rounds settle any race.
const MAX_WORKFLOW_ATTEMPTS = 5;
// Creators racing for the next case number: each round one of them wins.
const MAX_CASE_NUMBER_ATTEMPTS = 100;

// Newest-updated first; _id breaks ties between equal timestamps.
const LIST = 'conversations';
const INBOX_LIST = 'conversations:inbox';

/** `recent`: last changed first. `inbox`: awaiting approval first, then the rest; each oldest first. */
export type ConversationOrder = 'recent' | 'inbox';

const INBOX_KEYS = [
  { field: 'created_at', type: 'date' },
  { field: '_id', type: 'string' },
] as const;

/**
 * The approver's order as two keyset segments, so that every page is an index
 * range and a case awaiting approval never hides behind a page of others: the
 * cases in needs_approval, then all the others, each the longest-waiting first.
 */
function inboxSegments(
  filter: Filter,
  filters: ConversationFilters,
): Array<Segment<ConversationRecord>> {
  const wanted = filters.workflow_status?.length ? filters.workflow_status : null;
  const awaiting = !wanted || wanted.includes('needs_approval');
  const others = wanted ? wanted.filter((status) => status !== 'needs_approval') : null;
  const segment = (statusFilter: Filter | null): Segment<ConversationRecord> => ({
    filter: statusFilter && { ...filter, ...statusFilter },
    keys: INBOX_KEYS,
    direction: 1,
    keyOf: (c) => [c.created_at, c._id],
  });
  return [
    segment(awaiting ? { workflow_status: 'needs_approval' } : null),
    segment(
      others === null
        ? { workflow_status: { $ne: 'needs_approval' } }
        : others.length
          ? { workflow_status: { $in: others } }
          : null,
    ),
  ];
}

export function createConversationsRepository(models: Models) {
  const { Conversation, Message } = models;
  const audit = createAuditRepository(models);

  /** The conditions of a search, within the account (messages are matched there too). */
  async function searchFilter(accountId: string, q: string): Promise<Filter> {
    const pattern = literalPattern(q);
    const messages = await Message.find({ account_id: accountId, body: pattern })
      .select({ conversation_id: 1 })
      .limit(MAX_SEARCHED_MESSAGES)
      .lean<Array<{ conversation_id: string }>>()
      .exec();
    return {
      $or: [
        { title: pattern },
        { 'participants.customer.name': pattern },
        { 'participants.customer.address': pattern },
        { _id: { $in: [...new Set(messages.map((m) => m.conversation_id))] } },
      ],
    };
  }

  async function highestCaseNumber(accountId: string): Promise<number> {
    const last = await Conversation.findOne({ account_id: accountId })
      .sort({ case_number: -1 })
      .select({ case_number: 1 })
      .lean<Pick<ConversationRecord, 'case_number'>>()
      .exec();
    return last?.case_number ?? 0;
  }

  return {
    /** Only within the account: another account's id is "not found". */
    async get(accountId: string, conversationId: string): Promise<ConversationRecord | null> {
      return Conversation.findOne({ _id: conversationId, account_id: accountId })
        .lean<ConversationRecord>()
        .exec();
    },

    async list(
      accountId: string,
      filters: ConversationFilters = {},
      page: PageRequest = {},
      order: ConversationOrder = 'recent',
    ): Promise<Page<ConversationRecord>> {
      const filter: Filter = { account_id: accountId };
      if (filters.workflow_status?.length)
        filter.workflow_status = { $in: [...filters.workflow_status] };
      if (filters.audience) filter.audience = filters.audience;
      if (filters.mailbox_id) filter.mailbox_id = filters.mailbox_id;
      if (filters.assignee_id !== undefined) filter.assignee_id = filters.assignee_id;
      const q = filters.q?.trim();
      if (q) Object.assign(filter, await searchFilter(accountId, q));
      const fetch = leanFetch<ConversationRecord>(Conversation);
      if (order === 'inbox')
        return paginate(INBOX_LIST, inboxSegments(filter, filters), page, fetch);
      const segment: Segment<ConversationRecord> = {
        filter,
        keys: [
          { field: 'updated_at', type: 'date' },
          { field: '_id', type: 'string' },
        ],
        direction: -1,
        keyOf: (c) => [c.updated_at, c._id],
      };
      return paginate(LIST, [segment], page, fetch);
    },

    /** The case a reply belongs to, by the token Postroom put in its outbound mail. */
    async findByReplyToken(
      accountId: string,
      replyToken: string,
    ): Promise<ConversationRecord | null> {
      return Conversation.findOne({ account_id: accountId, 'email_thread.reply_token': replyToken })
        .lean<ConversationRecord>()
        .exec();
    },

    /**
     * Create a conversation with the account's next case number and a fresh
     * reply token. The number is the account's highest + 1, and the unique
     * {account_id, case_number} index decides between concurrent creators: the
     * loser reads again. So numbers are never reused, and a crash between
     * choosing a number and writing the case leaves no gap (a separate counter
     * would have spent it). Conversations are never deleted, only redacted.
     */
    async create(input: NewConversation, now: Date = new Date()): Promise<ConversationRecord> {
      const { participants = [], email_thread, ...fields } = input;
      const record = {
        ...fields,
        email_thread: email_thread
          ? {
              ...email_thread,
              root_message_id:
                email_thread.root_message_id && bareMessageId(email_thread.root_message_id),
              reply_token: newReplyToken(),
            }
          : null,
        participants: participants.map((p) => ({ _id: newId('par'), joined_at: now, ...p })),
      };
      for (let attempt = 1; ; attempt++) {
        const caseNumber = (await highestCaseNumber(input.account_id)) + 1;
        try {
          const created = await Conversation.create({
            ...record,
            _id: newId('cnv'),
            case_number: caseNumber,
          });
          return created.toObject<ConversationRecord>();
        } catch (error) {
          if (
            attempt < MAX_CASE_NUMBER_ATTEMPTS &&
            isDuplicateKeyError(error, UNIQUE_INDEX.caseNumber)
          )
            continue;
          throw error;
        }
      }
    },

    /** Set some fields in one atomic update (updated_at bumps); null when not in the account. */
    async update(
      accountId: string,
      conversationId: string,
      changes: ConversationChanges,
    ): Promise<ConversationRecord | null> {
      return Conversation.findOneAndUpdate(
        { _id: conversationId, account_id: accountId },
        { $set: { ...changes } },
        { returnDocument: 'after' },
      )
        .lean<ConversationRecord>()
        .exec();
    },

    /** Move a case to another mailbox (queue); its thread keys stay. Null when not in the account. */
    async transfer(
      accountId: string,
      conversationId: string,
      mailboxKey: string,
    ): Promise<ConversationRecord | null> {
      return Conversation.findOneAndUpdate(
        { _id: conversationId, account_id: accountId },
        { $set: { mailbox_id: mailboxKey } },
        { returnDocument: 'after' },
      )
        .lean<ConversationRecord>()
        .exec();
    },

    /**
     * Move a case's workflow_status, only if it is still `expected` (what the
     * caller computed the move from). Null when the case is gone, is not a
     * customer case, or moved meanwhile: re-read and recompute.
     */
    async moveWorkflow(
      accountId: string,
      conversationId: string,
      expected: WorkflowStatus | null,
      move: WorkflowMove,
      /** Also record the case's first response, which it must not have yet. */
      firstResponseAt?: Date,
    ): Promise<ConversationRecord | null> {
      const filter: Filter = {
        _id: conversationId,
        account_id: accountId,
        audience: 'customer',
        workflow_status: expected,
      };
      const set: Record<string, unknown> = { workflow_status: move.workflow_status };
      if (move.closed_at !== undefined) set.closed_at = move.closed_at;
      if (firstResponseAt) {
        filter.first_response_at = null;
        set.first_response_at = firstResponseAt;
      }
      return Conversation.findOneAndUpdate(filter, { $set: set }, { returnDocument: 'after' })
        .lean<ConversationRecord>()
        .exec();
    },

    /**
     * The move `event` calls for from the case as the caller last read it,
     * made only while the case is still in that status (see moveWorkflow for
     * `firstResponseAt`). Null when it calls for no move or the case changed
     * meanwhile: applyWorkflowEvent then works it out from the stored case.
     */
    async moveFromSeen(
      seen: Pick<ConversationRecord, '_id' | 'account_id' | 'audience' | 'workflow_status'>,
      event: WorkflowEvent,
      options: { now?: Date; firstResponseAt?: Date } = {},
    ): Promise<ConversationRecord | null> {
      if (!seen.workflow_status || seen.audience !== 'customer') return null;
      const move = nextWorkflow(seen.workflow_status, event, options.now ?? new Date());
      if (move.workflow_status === seen.workflow_status && move.closed_at === undefined) {
        return null;
      }
      const moved = await this.moveWorkflow(
        seen.account_id,
        seen._id,
        seen.workflow_status,
        move,
        options.firstResponseAt,
      );
      if (moved) {
        await audit.workflowMoved({
          account_id: seen.account_id,
          conversation_id: seen._id,
          before: seen.workflow_status,
          after: moved.workflow_status,
        });
      }
      return moved;
    },

    /**
     * Apply a workflow event (rules in conversations/workflow.ts) to a customer
     * case, re-reading and recomputing when another writer moved it first.
     * Returns the case as left, or null when it is gone or not a customer case.
     * The move goes to the audit trail, by `actorId` (null: the system).
     */
    async applyWorkflowEvent(
      accountId: string,
      conversationId: string,
      event: WorkflowEvent,
      now: Date = new Date(),
      actorId: string | null = null,
    ): Promise<ConversationRecord | null> {
      for (let attempt = 0; attempt < MAX_WORKFLOW_ATTEMPTS; attempt++) {
        const current = await this.get(accountId, conversationId);
        if (!current?.workflow_status || current.audience !== 'customer') return null;
        const move = nextWorkflow(current.workflow_status, event, now);
        if (move.workflow_status === current.workflow_status && move.closed_at === undefined) {
          return current;
        }
        const moved = await this.moveWorkflow(
          accountId,
          conversationId,
          current.workflow_status,
          move,
        );
        if (moved) {
          await audit.workflowMoved(
            {
              account_id: accountId,
              conversation_id: conversationId,
              before: current.workflow_status,
              after: moved.workflow_status,
              actor_id: actorId,
            },
            now,
          );
          return moved;
        }
      }
      return null;
    },

    async setLegalHold(
      accountId: string,
      conversationId: string,
      hold: LegalHold,
    ): Promise<ConversationRecord | null> {
      return Conversation.findOneAndUpdate(
        { _id: conversationId, account_id: accountId },
        { $set: { legal_hold: hold } },
        { returnDocument: 'after' },
      )
        .lean<ConversationRecord>()
        .exec();
    },

    /**
     * The conversation side of a redaction: refused atomically under legal
     * hold; clears the title and normalized subject (they quote the mail's
     * subject) and stamps redacted_at (the latest redaction).
     */
    async markRedacted(
      accountId: string,
      conversationId: string,
      now: Date = new Date(),
    ): Promise<RedactionMark> {
      const marked = await Conversation.findOneAndUpdate(
        { _id: conversationId, account_id: accountId, legal_hold: 'released' },
        { $set: { title: null, redacted_at: now } },
        { returnDocument: 'after' },
      )
        .lean<ConversationRecord>()
        .exec();
      if (!marked) {
        const exists = await Conversation.exists({ _id: conversationId, account_id: accountId });
        return exists ? { outcome: 'legal_hold' } : { outcome: 'not_found' };
      }
      if (!marked.email_thread?.subject_normalized) {
        return { outcome: 'marked', conversation: marked };
      }
      // A separate update: setting a field under a null email_thread is an error.
      const cleared = await Conversation.findOneAndUpdate(
        { _id: conversationId, account_id: accountId, email_thread: { $type: 'object' } },
        { $set: { 'email_thread.subject_normalized': null } },
        { returnDocument: 'after', timestamps: false },
      )
        .lean<ConversationRecord>()
        .exec();
      return { outcome: 'marked', conversation: cleared ?? marked };
    },
  };
}
