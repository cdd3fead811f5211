import type { Models } from '../models/index.ts';
import type {
  MailboxCredentials,
  MailboxRecord,
  MailboxSync,
  SealedOverride,
  StoredOAuth,
} from '../records/mailbox.ts';

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

    async getCredentials(mailboxId: string): Promise<MailboxCredentials | null> {
      const found = await Mailbox.findById(mailboxId, { credentials: 1 })
        .lean<Pick<MailboxRecord, 'credentials'>>()
        .exec();
      return found?.credentials ?? null;
    },

    /**
     * Save OAuth2 tokens only if nobody saved since `expectedVersion` was read
     * (null: none stored yet); false when another process got there first.
     */
    async saveOAuth(
      mailboxId: string,
      expectedVersion: number | null,
      next: StoredOAuth,
    ): Promise<boolean> {
      const filter =
        expectedVersion === null
          ? { _id: mailboxId, 'credentials.oauth.version': { $exists: false } }
          : { _id: mailboxId, 'credentials.oauth.version': expectedVersion };
      const result = await Mailbox.updateOne(
        filter,
        { $set: { 'credentials.oauth': next } },
        { timestamps: false },
      ).exec();
      return result.modifiedCount === 1;
    },

    /** Replace API-given passwords (sealed) of one mailbox of the account; null when none such. */
    async setPasswordOverride(
      accountId: string,
      key: string,
      channel: 'imap' | 'smtp',
      override: SealedOverride,
    ): Promise<boolean> {
      const found = await this.getByKey(accountId, key);
      if (!found) return false;
      const field = channel === 'imap' ? 'imap_pass' : 'smtp_pass';
      const result = await Mailbox.updateOne(
        { _id: found._id },
        { $set: { [`credentials.${field}`]: override } },
        { timestamps: false },
      ).exec();
      return result.matchedCount === 1;
    },
  };
}
