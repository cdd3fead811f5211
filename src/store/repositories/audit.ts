// The audit trail of a case: entries are appended (record), read oldest first
// with cursor pagination (list), and, when the case is redacted, the values
// that quote content are erased (eraseContent) while the entries stay.
import { newId } from '../ids.ts';
import type { Models } from '../models/index.ts';
import { paginate, type Page, type PageRequest, type Segment } from '../pagination/keyset.ts';
import type { AuditChange, AuditKind, AuditRecord } from '../records/audit.ts';
import { leanFetch } from './lean-fetch.ts';

interface NewAuditEntry {
  account_id: string;
  conversation_id: string;
  kind: AuditKind;
  actor_id: string | null;
  message_id?: string | null;
  changes?: AuditChange[];
}

const LIST = 'audit';

export function createAuditRepository({ Audit }: Models) {
  return {
    async record(entry: NewAuditEntry, now: Date = new Date()): Promise<AuditRecord> {
      const created = await Audit.create({
        _id: newId('aud'),
        message_id: null,
        changes: [],
        ...entry,
        created_at: now,
      });
      return created.toObject<AuditRecord>();
    },

    /**
     * A workflow move the store made on an event (a draft finished, a reply
     * was delivered, a customer wrote): written where the move is, so every
     * caller's moves are recorded without each remembering to.
     */
    async workflowMoved(
      move: {
        account_id: string;
        conversation_id: string;
        before: string | null;
        after: string | null;
        actor_id?: string | null;
      },
      now: Date = new Date(),
    ): Promise<void> {
      if (move.before === move.after) return;
      await this.record(
        {
          account_id: move.account_id,
          conversation_id: move.conversation_id,
          kind: 'workflow_status_changed',
          actor_id: move.actor_id ?? null,
          changes: [
            { field: 'workflow_status', before: move.before, after: move.after, content: false },
          ],
        },
        now,
      );
    },

    /** A conversation's entries, oldest first; only within the account. */
    async list(
      accountId: string,
      conversationId: string,
      page: PageRequest = {},
    ): Promise<Page<AuditRecord>> {
      const segment: Segment<AuditRecord> = {
        filter: { account_id: accountId, conversation_id: conversationId },
        keys: [
          { field: 'created_at', type: 'date' },
          { field: '_id', type: 'string' },
        ],
        direction: 1,
        keyOf: (entry) => [entry.created_at, entry._id],
      };
      return paginate(LIST, [segment], page, leanFetch<AuditRecord>(Audit));
    },

    /** Redaction: null the values that quote content; returns how many entries changed. */
    async eraseContent(accountId: string, conversationId: string): Promise<number> {
      const result = await Audit.updateMany(
        { account_id: accountId, conversation_id: conversationId, 'changes.content': true },
        { $set: { 'changes.$[quoted].before': null, 'changes.$[quoted].after': null } },
        { arrayFilters: [{ 'quoted.content': true }] },
      ).exec();
      return result.modifiedCount;
    },
  };
}
