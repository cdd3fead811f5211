import { Schema } from 'mongoose';
import {
  ACTOR_TYPES,
  AUDIENCES,
  CONVERSATION_STATUSES,
  CONVERSATION_TYPES,
  ENTITY_TYPES,
  LEGAL_HOLDS,
  MEMBERSHIPS,
  NOTIFICATION_SETTINGS,
  PARTICIPANT_ROLES,
  PARTICIPANT_TYPES,
  PRIORITIES,
  TRIGGER_POLICIES,
  WORKFLOW_STATUSES,
} from '../../conversations/enums.ts';
import { UNIQUE_INDEX } from '../index-names.ts';
import type { ConversationRecord } from '../records/conversation.ts';
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

export const entitySchema = subSchema({
  id: requiredString,
  type: enumOf(ENTITY_TYPES),
  name: nullableString,
  handle: nullableString,
});

const participantSchema = new Schema(
  {
    _id: requiredString,
    type: enumOf(PARTICIPANT_TYPES),
    role: enumWithDefault(PARTICIPANT_ROLES, 'member'),
    membership: enumWithDefault(MEMBERSHIPS, 'active'),
    notifications: enumWithDefault(NOTIFICATION_SETTINGS, 'unmuted'),
    actor_id: nullableString,
    // Lower-cased on write: addresses are compared, and indexed, as written.
    customer: nullableSub(
      subSchema({
        name: nullableString,
        address: { type: String, required: true, lowercase: true, trim: true },
      }),
    ),
    agent_trigger_policy: enumWithDefault(TRIGGER_POLICIES, null),
    agent_trigger_keywords: { type: [String], default: [] },
    joined_at: { type: Date, required: true },
  },
  { minimize: false, strict: 'throw', id: false },
);

const emailThreadSchema = subSchema({
  root_message_id: nullableString,
  reply_token: requiredString,
  subject_normalized: nullableString,
  root_hash: nullableString,
  // No default: absent rather than null, for the partial unique index.
  root_key: { type: String },
});

export const conversationSchema = new Schema<ConversationRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    type: enumOf(CONVERSATION_TYPES),
    audience: enumOf(AUDIENCES),
    title: nullableString,
    workflow_status: enumWithDefault(WORKFLOW_STATUSES, null),
    group_id: nullableString,
    status: enumWithDefault(CONVERSATION_STATUSES, 'active'),
    legal_hold: enumWithDefault(LEGAL_HOLDS, 'released'),
    assignee_id: nullableString,
    assignee_type: enumWithDefault(ACTOR_TYPES, null),
    awaiting: { type: Boolean, default: false },
    topic: nullableSub(entitySchema),
    unread: { type: Number, default: 0 },
    last_message_at: nullableDate,
    last_message_id: nullableString,
    case_number: { type: Number, required: true },
    priority: enumWithDefault(PRIORITIES, 'normal'),
    is_spam: { type: Boolean, default: false },
    spam_score: nullableNumber,
    first_response_at: nullableDate,
    closed_at: nullableDate,
    mailbox_id: nullableString,
    email_thread: nullableSub(emailThreadSchema),
    last_sequence: { type: Number, default: 0 },
    participants: { type: [participantSchema], default: [] },
    redacted_at: nullableDate,
  },
  baseOptions('conversations'),
);

conversationSchema.index(
  { account_id: 1, case_number: 1 },
  { name: UNIQUE_INDEX.caseNumber, unique: true },
);
// Replies find their case by the token we put in outbound mail.
conversationSchema.index(
  { account_id: 1, 'email_thread.reply_token': 1 },
  {
    name: UNIQUE_INDEX.replyToken,
    unique: true,
    partialFilterExpression: whenType('email_thread.reply_token', 'string'),
  },
);
// Two ingest workers seeing the same new thread at once (the same mail
// appended twice) must open one case, not two: the second create fails here.
conversationSchema.index(
  { account_id: 1, mailbox_id: 1, 'email_thread.root_message_id': 1 },
  {
    name: UNIQUE_INDEX.threadRoot,
    unique: true,
    partialFilterExpression: whenType('email_thread.root_message_id', 'string'),
  },
);
// The same for a case opened by a mail whose Message-ID another mail already
// holds: its root_message_id stays null (that id is taken) and the dedupe key
// (id and content hash) claims the thread instead.
conversationSchema.index(
  { account_id: 1, mailbox_id: 1, 'email_thread.root_key': 1 },
  {
    name: UNIQUE_INDEX.threadRootKey,
    unique: true,
    partialFilterExpression: whenType('email_thread.root_key', 'string'),
  },
);
// The list endpoint: newest-updated first, optionally in one lane or mailbox.
conversationSchema.index({ account_id: 1, updated_at: -1, _id: -1 });
conversationSchema.index({ account_id: 1, workflow_status: 1, updated_at: -1 });
conversationSchema.index({ account_id: 1, mailbox_id: 1, updated_at: -1 });
// The inbox order: the cases awaiting approval oldest first, then the others.
conversationSchema.index({ account_id: 1, workflow_status: 1, created_at: 1, _id: 1 });
conversationSchema.index({ account_id: 1, created_at: 1, _id: 1 });
// Threading fallback: the customer's open cases.
conversationSchema.index({ account_id: 1, 'participants.customer.address': 1 });
