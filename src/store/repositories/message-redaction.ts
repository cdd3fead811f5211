// Redaction of a conversation's messages (GDPR erasure): content and personal
// data are overwritten for good; ids, statuses, sequences, thread keys
// (Message-IDs, needed so the same mail is never ingested again) stay, unless
// a Message-ID quotes one of the customer's addresses: then it is replaced by
// a digest (and that one mail loses its dedupe, which is the lesser harm).
// In two steps, so the caller can delete the GridFS files in between:
// plan() lists the messages and files, apply() overwrites those messages.
import { createHash } from 'node:crypto';
import type { Models } from '../models/index.ts';
import type { AttachmentRecord, EmailAddress, MessageRecord } from '../records/message.ts';

export interface RedactionPlan {
  /** The messages that existed when the redaction began. */
  message_ids: string[];
  /** GridFS ids to delete: attachments' content, raw .eml sources, full bodies. */
  file_ids: string[];
}

/** Stands in for required fields that cannot be null (an email address). */
export const REDACTED = '[redacted]';

/** The content-free reason on drafts and scheduled replies a redaction stopped. */
export const REDACTION_REASON = 'conversation_redacted';

// Messages are rewritten in batches: one bulk write per batch, bounded memory.
const BATCH = 200;

type RedactionSource = Pick<
  MessageRecord,
  | '_id'
  | 'attachments'
  | 'raw_source_id'
  | 'email'
  | 'approval'
  | 'rejection'
  | 'cancel'
  | 'delivery'
  | 'deleted_at'
>;

const SOURCE_FIELDS = {
  _id: 1,
  attachments: 1,
  raw_source_id: 1,
  email: 1,
  approval: 1,
  rejection: 1,
  cancel: 1,
  delivery: 1,
  deleted_at: 1,
} as const;

export function createMessageRedaction({ Message }: Models) {
  return {
    async plan(accountId: string, conversationId: string): Promise<RedactionPlan> {
      const messages = await Message.find({
        account_id: accountId,
        conversation_id: conversationId,
      })
        .select({ _id: 1, 'attachments.gridfs_id': 1, raw_source_id: 1, body_files: 1 })
        .lean<Array<Pick<MessageRecord, '_id' | 'attachments' | 'raw_source_id' | 'body_files'>>>()
        .exec();
      const files = new Set<string>();
      for (const message of messages) {
        if (message.raw_source_id) files.add(message.raw_source_id);
        if (message.body_files?.text) files.add(message.body_files.text.gridfs_id);
        if (message.body_files?.html) files.add(message.body_files.html.gridfs_id);
        for (const attachment of message.attachments ?? []) {
          if (attachment.gridfs_id) files.add(attachment.gridfs_id);
        }
      }
      return { message_ids: messages.map((m) => m._id), file_ids: [...files] };
    },

    /** Overwrite the planned messages' content; returns how many were rewritten. */
    async apply(
      accountId: string,
      conversationId: string,
      messageIds: readonly string[],
      now: Date = new Date(),
      /** The customer's addresses (lower-case): Message-IDs quoting one are replaced. */
      addresses: readonly string[] = [],
    ): Promise<number> {
      let rewritten = 0;
      for (let start = 0; start < messageIds.length; start += BATCH) {
        const ids = messageIds.slice(start, start + BATCH);
        const sources = await Message.find({
          _id: { $in: ids },
          account_id: accountId,
          conversation_id: conversationId,
        })
          .select(SOURCE_FIELDS)
          .lean<RedactionSource[]>()
          .exec();
        if (sources.length === 0) continue;
        const result = await Message.bulkWrite(
          sources.map((source) => ({
            updateOne: {
              filter: { _id: source._id, account_id: accountId },
              update: { $set: redactedFields(source, now, addresses) },
            },
          })),
          { ordered: false },
        );
        rewritten += result.matchedCount;
      }
      return rewritten;
    },
  };
}

/** The fields a redacted message gets. Pure, so what is kept is visible in one place. */
function redactedFields(
  source: RedactionSource,
  now: Date,
  addresses: readonly string[],
): Record<string, unknown> {
  const email = source.email;
  const id = (value: string): string => messageIdWithout(value, addresses);
  return {
    body: null,
    html: null,
    text_new: null,
    subject: null,
    body_files: null,
    raw_source_id: null,
    // Parse errors quote the mail they failed on.
    parse_error: null,
    redacted_at: now,
    // The seed's tombstone: the content is gone. The first deletion's time stays.
    deleted_at: source.deleted_at ?? now,
    attachments: (source.attachments ?? []).map(redactAttachment),
    email: email
      ? {
          ...email,
          ...(email.message_id === undefined ? {} : { message_id: id(email.message_id) }),
          ...(email.dedupe_key === undefined ? {} : { dedupe_key: id(email.dedupe_key) }),
          in_reply_to: email.in_reply_to === null ? null : id(email.in_reply_to),
          references: email.references.map(id),
          auto_submitted_reason: null,
          subject: null,
          from: email.from ? redactAddress(email.from) : null,
          to: email.to.map(redactAddress),
          cc: email.cc.map(redactAddress),
        }
      : null,
    // A human's edit trail and reasons quote the content.
    approval: source.approval
      ? { ...source.approval, original_body: null, original_subject: null }
      : null,
    // Reasons a human typed go; the redaction's own fixed reason stays.
    rejection: source.rejection
      ? { ...source.rejection, reason: kept(source.rejection.reason) }
      : null,
    cancel: source.cancel ? { ...source.cancel, reason: kept(source.cancel.reason) } : null,
    // SMTP replies quote recipient addresses ("550 <jane@example.com>: no such user").
    delivery: source.delivery
      ? {
          ...source.delivery,
          last_error: source.delivery.last_error
            ? { code: source.delivery.last_error.code, response: null, message: REDACTED }
            : null,
        }
      : null,
  };
}

function kept(reason: string | null): string | null {
  return reason === REDACTION_REASON ? reason : null;
}

/**
 * A Message-ID (or dedupe key) that quotes a customer address becomes a
 * digest of itself: the same for every copy, so the thread keys still agree.
 */
function messageIdWithout(value: string, addresses: readonly string[]): string {
  const lower = value.toLowerCase();
  if (!addresses.some((address) => address.length > 0 && lower.includes(address))) return value;
  const digest = createHash('sha256').update(value).digest('hex').slice(0, 32);
  return `redacted.${digest}@redacted.invalid`;
}

function redactAddress(_address: EmailAddress): EmailAddress {
  return { name: null, address: REDACTED };
}

// The attachment stays listed (id, kind, type) so the timeline keeps its
// shape; what identifies or holds the content goes.
function redactAttachment(attachment: AttachmentRecord): AttachmentRecord {
  return { ...attachment, filename: null, gridfs_id: null, checksum: null, url: null };
}
