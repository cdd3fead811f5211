// An account's knowledge documents (folder files, uploads, copies of approved
// replies) and the revision counter every change bumps, so each process's
// in-memory index (src/knowledge) knows when to rebuild.
import { createHash } from 'node:crypto';
import { newId } from '../ids.ts';
import type { Models } from '../models/index.ts';
import { paginate, type Page, type PageRequest, type Segment } from '../pagination/keyset.ts';
import type {
  KnowledgeDocumentRecord,
  KnowledgeFormat,
  KnowledgeSource,
} from '../records/knowledge.ts';
import { leanFetch } from './lean-fetch.ts';

export interface NewKnowledgeDocument {
  title: string;
  format: KnowledgeFormat;
  content: string;
}

const LIST = 'knowledge_documents';

function checksumOf(content: string): string {
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

/** A folder file keeps one id across restarts and processes: derived from its path. */
function folderDocumentId(accountId: string, path: string): string {
  const digest = createHash('sha256').update(`${accountId}\0${path}`).digest('hex').slice(0, 24);
  return `kdoc_f${digest}`;
}

export function createKnowledgeRepository({ KnowledgeDocument, KnowledgeState, Message }: Models) {
  async function bump(accountId: string): Promise<void> {
    await KnowledgeState.updateOne(
      { _id: accountId },
      { $inc: { revision: 1 } },
      { upsert: true },
    ).exec();
  }

  return {
    /** The account's revision: 0 before its first change. */
    async revision(accountId: string): Promise<number> {
      const state = await KnowledgeState.findOne({ _id: accountId }).lean().exec();
      return state?.revision ?? 0;
    },

    /** Every live document of the account, for building its index. */
    async all(accountId: string): Promise<KnowledgeDocumentRecord[]> {
      return KnowledgeDocument.find({ account_id: accountId, deleted_at: null })
        .lean<KnowledgeDocumentRecord[]>()
        .exec();
    },

    async get(accountId: string, id: string): Promise<KnowledgeDocumentRecord | null> {
      return KnowledgeDocument.findOne({ _id: id, account_id: accountId, deleted_at: null })
        .lean<KnowledgeDocumentRecord>()
        .exec();
    },

    /** Newest first, optionally one source only. */
    async list(
      accountId: string,
      source: KnowledgeSource | undefined,
      page: PageRequest = {},
    ): Promise<Page<KnowledgeDocumentRecord>> {
      const segment: Segment<KnowledgeDocumentRecord> = {
        filter: { account_id: accountId, deleted_at: null, ...(source ? { source } : {}) },
        keys: [
          { field: 'created_at', type: 'date' },
          { field: '_id', type: 'string' },
        ],
        direction: -1,
        keyOf: (doc) => [doc.created_at, doc._id],
      };
      return paginate(LIST, [segment], page, leanFetch<KnowledgeDocumentRecord>(KnowledgeDocument));
    },

    async createUpload(
      accountId: string,
      input: NewKnowledgeDocument,
    ): Promise<KnowledgeDocumentRecord> {
      const doc = await KnowledgeDocument.create({
        _id: newId('kdoc'),
        account_id: accountId,
        source: 'upload',
        ...input,
        checksum: checksumOf(input.content),
      });
      await bump(accountId);
      return doc.toObject<KnowledgeDocumentRecord>();
    },

    /** Removes a document; a reply stays as a tombstone so the reply sync skips it. */
    async remove(accountId: string, id: string): Promise<boolean> {
      const doc = await KnowledgeDocument.findOne({
        _id: id,
        account_id: accountId,
        deleted_at: null,
      })
        .lean<KnowledgeDocumentRecord>()
        .exec();
      if (!doc) return false;
      if (doc.source === 'reply') {
        await KnowledgeDocument.updateOne(
          { _id: id },
          { $set: { deleted_at: new Date(), content: '', title: '' } },
        ).exec();
      } else {
        await KnowledgeDocument.deleteOne({ _id: id, account_id: accountId }).exec();
      }
      await bump(accountId);
      return true;
    },

    /**
     * Brings the folder documents in line with the files read: changed ones
     * rewritten, vanished ones removed. Returns how many changed.
     */
    async syncFolder(
      accountId: string,
      files: ReadonlyArray<NewKnowledgeDocument & { path: string }>,
    ): Promise<number> {
      const existing = await KnowledgeDocument.find(
        { account_id: accountId, source: 'folder' },
        { _id: 1, checksum: 1 },
      )
        .lean<Array<{ _id: string; checksum: string }>>()
        .exec();
      const checksums = new Map(existing.map((d) => [d._id, d.checksum]));
      let changed = 0;
      const keep = new Set<string>();
      for (const file of files) {
        const id = folderDocumentId(accountId, file.path);
        keep.add(id);
        const checksum = checksumOf(file.content);
        if (checksums.get(id) === checksum) continue;
        await KnowledgeDocument.updateOne(
          { _id: id },
          {
            $set: {
              account_id: accountId,
              source: 'folder',
              title: file.title,
              format: file.format,
              content: file.content,
              checksum,
              path: file.path,
              conversation_id: null,
              message_id: null,
              deleted_at: null,
            },
          },
          { upsert: true },
        ).exec();
        changed += 1;
      }
      const gone = existing.map((d) => d._id).filter((id) => !keep.has(id));
      if (gone.length > 0) {
        await KnowledgeDocument.deleteMany({ _id: { $in: gone }, account_id: accountId }).exec();
        changed += gone.length;
      }
      if (changed > 0) await bump(accountId);
      return changed;
    },

    /**
     * Copies the account's approved replies sent since `since` (by their
     * updated_at) into the knowledge base; a copy made before, or a tombstone,
     * stays as it is. Returns the newest updated_at seen, for the next call.
     */
    async syncApprovedReplies(accountId: string, since: Date | null): Promise<Date | null> {
      const replies = await Message.find(
        {
          account_id: accountId,
          status: 'sent',
          visibility: 'external',
          approval: { $ne: null },
          redacted_at: null,
          ...(since ? { updated_at: { $gte: since } } : {}),
        },
        { _id: 1, conversation_id: 1, subject: 1, body: 1, updated_at: 1 },
      )
        .sort({ updated_at: 1 })
        .limit(5_000)
        .lean<
          Array<{
            _id: string;
            conversation_id: string;
            subject: string | null;
            body: string | null;
            updated_at: Date;
          }>
        >()
        .exec();
      let newest = since;
      let added = 0;
      for (const reply of replies) {
        if (!newest || reply.updated_at > newest) newest = reply.updated_at;
        const content = reply.body ?? '';
        if (!content.trim()) continue;
        const result = await KnowledgeDocument.updateOne(
          { _id: `kdoc_r${reply._id}` },
          {
            $setOnInsert: {
              account_id: accountId,
              source: 'reply',
              title: reply.subject ?? '',
              format: 'text',
              content,
              checksum: checksumOf(content),
              path: null,
              conversation_id: reply.conversation_id,
              message_id: reply._id,
              deleted_at: null,
            },
          },
          { upsert: true },
        ).exec();
        if (result.upsertedCount > 0) added += 1;
      }
      if (added > 0) await bump(accountId);
      return newest;
    },

    /** Redaction: a conversation's replies leave the knowledge base, tombstones included. */
    async removeConversation(accountId: string, conversationId: string): Promise<number> {
      const removed = await KnowledgeDocument.deleteMany({
        account_id: accountId,
        conversation_id: conversationId,
      }).exec();
      await bump(accountId);
      return removed.deletedCount;
    },
  };
}
