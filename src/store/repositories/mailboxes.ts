import type { Models } from '../models/index.ts';
import type { MailboxRecord, MailboxSync } from '../records/mailbox.ts';

export function createMailboxesRepository({ Mailbox }: Models) {
  return {
    /** By config id (the bootstrap file's `mailboxes[].id`), which conversations store as mailbox_id. */
    async getByKey(accountId: string, key: string): Promise<MailboxRecord | null> {
      return Mailbox.findOne({ account_id: accountId, key }).lean<MailboxRecord>().exec();
    },

    async list(accountId: string): Promise<MailboxRecord[]> {
      return Mailbox.find({ account_id: accountId })
        .sort({ key: 1 })
        .lean<MailboxRecord[]>()
        .exec();
    },

    /** Every mailbox of every account: what the watcher role has to watch. */
    async listAll(): Promise<MailboxRecord[]> {
      return Mailbox.find().sort({ account_id: 1, key: 1 }).lean<MailboxRecord[]>().exec();
    },

    /**
     * Record the watcher's progress. `last_uid` only moves forward (`$max`)
     * unless `uidvalidity` changes in the same call, when it is set as given:
     * a new UIDVALIDITY means the old UIDs mean nothing.
     */
    async updateSync(
      accountId: string,
      key: string,
      patch: Partial<MailboxSync>,
    ): Promise<MailboxRecord | null> {
      const set: Record<string, unknown> = {};
      const max: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        if (field === 'last_uid' && patch.uidvalidity === undefined) max['sync.last_uid'] = value;
        else set[`sync.${field}`] = value;
      }
      return Mailbox.findOneAndUpdate(
        { account_id: accountId, key },
        {
          ...(Object.keys(set).length ? { $set: set } : {}),
          ...(Object.keys(max).length ? { $max: max } : {}),
        },
        { returnDocument: 'after', timestamps: false },
      )
        .lean<MailboxRecord>()
        .exec();
    },
  };
}
