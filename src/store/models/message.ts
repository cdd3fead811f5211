import { Schema } from 'mongoose';
import {
  ATTACHMENT_KINDS,
  CHANNELS,
  MESSAGE_KINDS,
  MESSAGE_STATUSES,
  STREAMING_STATES,
  VISIBILITIES,
} from '../../conversations/enums.ts';
import { UNIQUE_INDEX } from '../index-names.ts';
import type { MessageRecord } from '../records/message.ts';
import { entitySchema } from './conversation.ts';
import {
  baseOptions,
  enumOf,
  enumWithDefault,
  nullableDate,
  nullableNumber,
  nullableString,
  nullableSub,
  requiredString,
  subSchema,
  whenType,
} from './common.ts';
import {
  approvalSchema,
  bodyFilesSchema,
  cancelSchema,
  deliverySchema,
  emailSchema,
  rejectionSchema,
  supersessionSchema,
} from './message-parts.ts';

const attachmentSchema = new Schema(
  {
    _id: requiredString,
    kind: enumOf(ATTACHMENT_KINDS),
    filename: nullableString,
    content_type: nullableString,
    size_bytes: nullableNumber,
    gridfs_id: nullableString,
    content_id: nullableString,
    inline: { type: Boolean, default: false },
    checksum: nullableString,
    url: nullableString,
  },
  { minimize: false, strict: 'throw', id: false },
);

export const messageSchema = new Schema<MessageRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    conversation_id: requiredString,
    kind: enumOf(MESSAGE_KINDS),
    status: enumOf(MESSAGE_STATUSES),
    visibility: enumOf(VISIBILITIES),
    // No default: absent until the message is sent (see the partial index).
    sequence: { type: Number },
    body: nullableString,
    subject: nullableString,
    sender_id: nullableString,
    author_id: nullableString,
    attachments: { type: [attachmentSchema], default: [] },
    reply_to_id: nullableString,
    resource: nullableSub(entitySchema),
    channel: enumOf(CHANNELS),
    scheduled_at: nullableDate,
    agent_run_id: nullableString,
    streaming_state: enumWithDefault(STREAMING_STATES, null),
    client_message_id: { type: String },
    edited_at: nullableDate,
    deleted_at: nullableDate,
    mailbox_id: nullableString,
    participant_id: nullableString,
    html: nullableString,
    text_new: nullableString,
    email: nullableSub(emailSchema),
    // No default: absent on messages whose bodies are inline (nearly all of them).
    body_files: { type: bodyFilesSchema },
    raw_source_id: nullableString,
    parse_error: nullableString,
    ingest_pending_since: nullableDate,
    delivery: nullableSub(deliverySchema),
    approval: nullableSub(approvalSchema),
    rejection: nullableSub(rejectionSchema),
    cancel: nullableSub(cancelSchema),
    // No default: only drafts a human replaced carry one.
    supersession: { type: supersessionSchema },
    trigger_message_id: nullableString,
    // Absent (not []) on messages that cite nothing: most never will.
    citations: {
      type: [
        subSchema({
          label: requiredString,
          passage_id: requiredString,
          document_id: requiredString,
          source: requiredString,
          title: { type: String, default: '' },
        }),
      ],
      default: undefined,
    },
    redacted_at: nullableDate,
  },
  baseOptions('chat_messages'),
);

// The timeline order; also makes a sequence impossible to hand out twice.
messageSchema.index(
  { conversation_id: 1, sequence: 1 },
  {
    name: UNIQUE_INDEX.messageSequence,
    unique: true,
    partialFilterExpression: whenType('sequence', 'number'),
  },
);
// THE inbound dedupe: one stored copy of a mail per mailbox, however often
// IMAP or a retried job delivers it. The key is the Message-ID, or the id and
// the content hash for a different mail reusing an id (conversations/dedupe.ts);
// documents from before the key existed are found by their Message-ID.
messageSchema.index(
  { account_id: 1, mailbox_id: 1, 'email.dedupe_key': 1 },
  {
    name: UNIQUE_INDEX.messageDedupeKey,
    unique: true,
    partialFilterExpression: whenType('email.dedupe_key', 'string'),
  },
);
messageSchema.index(
  { conversation_id: 1, client_message_id: 1 },
  {
    name: UNIQUE_INDEX.messageClientId,
    unique: true,
    partialFilterExpression: whenType('client_message_id', 'string'),
  },
);
// Threading: In-Reply-To / References point at message ids across mailboxes;
// the dedupe reads a mailbox's copies of an id through it too.
messageSchema.index({ account_id: 1, 'email.message_id': 1 });
// Unread per reader: the reader's own sent messages after their read marker
// (store/repositories/read-markers.ts), an index range of those messages only.
messageSchema.index(
  { conversation_id: 1, author_id: 1, sequence: 1 },
  { partialFilterExpression: whenType('sequence', 'number') },
);
messageSchema.index({ conversation_id: 1, status: 1, created_at: 1 });
// The reconciler: scheduled messages that are due.
messageSchema.index({ status: 1, scheduled_at: 1 });
// Attachment downloads find their message by the attachment id.
messageSchema.index({ account_id: 1, 'attachments._id': 1 });
// Agent runs and the reconciler look drafts and replies up by their trigger.
messageSchema.index({ trigger_message_id: 1 });
