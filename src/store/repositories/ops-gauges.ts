// What the metrics and the readiness check read from MongoDB when scraped:
// the cases waiting for approval (how many, since when) and the drafts approved,
// per mailbox. Aggregations over indexed fields, counts only: no content.
import type { Models } from '../models/index.ts';

export interface ApprovalGaugeRow {
  account_id: string;
  mailbox_id: string | null;
  waiting: number;
  oldest_waiting_since: Date | null;
  approved: number;
}

export function createOpsGaugesRepository({ Conversation, Message }: Models) {
  return {
    async approvalGauges(): Promise<ApprovalGaugeRow[]> {
      const [waiting, approved] = await Promise.all([
        Conversation.aggregate<{
          _id: { account_id: string; mailbox_id: string | null };
          waiting: number;
          oldest: Date | null;
        }>([
          { $match: { workflow_status: 'needs_approval' } },
          {
            $group: {
              _id: { account_id: '$account_id', mailbox_id: '$mailbox_id' },
              waiting: { $sum: 1 },
              // The inbox's own order: a case waits from when it was opened.
              oldest: { $min: '$created_at' },
            },
          },
        ]).exec(),
        Message.aggregate<{
          _id: { account_id: string; mailbox_id: string | null };
          approved: number;
        }>([
          { $match: { 'approval.approved_at': { $ne: null } } },
          {
            $group: {
              _id: { account_id: '$account_id', mailbox_id: '$mailbox_id' },
              approved: { $sum: 1 },
            },
          },
        ]).exec(),
      ]);
      const rows = new Map<string, ApprovalGaugeRow>();
      const row = (id: { account_id: string; mailbox_id: string | null }) => {
        const key = `${id.account_id}\u0000${id.mailbox_id ?? ''}`;
        let found = rows.get(key);
        if (!found) {
          found = {
            account_id: id.account_id,
            mailbox_id: id.mailbox_id ?? null,
            waiting: 0,
            oldest_waiting_since: null,
            approved: 0,
          };
          rows.set(key, found);
        }
        return found;
      };
      for (const w of waiting) {
        const r = row(w._id);
        r.waiting = w.waiting;
        r.oldest_waiting_since = w.oldest ? new Date(w.oldest) : null;
      }
      for (const a of approved) row(a._id).approved = a.approved;
      return [...rows.values()];
    },
  };
}
