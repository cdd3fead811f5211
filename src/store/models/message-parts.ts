// Sub-documents of chat_message that only email and approval flows fill in.
import {
  nullableDate,
  nullableNumber,
  nullableString,
  nullableSub,
  requiredString,
  subSchema,
} from './common.ts';
import { DELIVERY_EVENT_OUTCOMES } from '../../conversations/enums.ts';

const addressSchema = subSchema({ name: nullableString, address: requiredString });

export const emailSchema = subSchema({
  // No default: absent rather than null, for the partial unique dedupe index.
  message_id: { type: String },
  in_reply_to: nullableString,
  references: { type: [String], default: [] },
  from: nullableSub(addressSchema),
  to: { type: [addressSchema], default: [] },
  cc: { type: [addressSchema], default: [] },
  auto_submitted: { type: Boolean, default: false },
  auto_submitted_reason: nullableString,
  subject: nullableString,
  date: nullableDate,
  // Inbound only; absent on documents stored before they existed (see
  // conversations/dedupe.ts). No default: absent rather than null, for the
  // partial unique index.
  dedupe_key: { type: String },
  content_hash: nullableString,
  message_id_reused: { type: Boolean, default: false },
  // Sent by one of the account's own addresses (conversations/own-address.ts).
  from_self: { type: Boolean, default: false },
});

const bodyFileSchema = subSchema({
  gridfs_id: requiredString,
  size_bytes: { type: Number, required: true },
  checksum: requiredString,
});

export const bodyFilesSchema = subSchema({
  text: nullableSub(bodyFileSchema),
  html: nullableSub(bodyFileSchema),
});

const deliveryErrorSchema = subSchema({
  code: nullableString,
  response: nullableString,
  message: requiredString,
});

const deliveryEventSchema = subSchema({
  attempt: nullableNumber,
  outcome: { type: String, enum: DELIVERY_EVENT_OUTCOMES, required: true },
  at: { type: Date, required: true },
  error: nullableSub(deliveryErrorSchema),
  by: nullableString,
});

export const deliverySchema = subSchema({
  attempts: { type: Number, default: 0 },
  last_error: nullableSub(deliveryErrorSchema),
  next_attempt_at: nullableDate,
  sent_at: nullableDate,
  // Set when an attempt starts, cleared when its outcome is recorded: a value
  // left behind marks a send interrupted by a crash (delivery/, the reconciler).
  sending_at: nullableDate,
  // Failed Sent-folder checks of that interrupted attempt (delivery/prior-attempt.ts).
  sent_checks: { type: Number, default: 0 },
  // A human's retry of a failed message starts a fresh budget here; attempts keep counting.
  budget_start: { type: Number, default: 0 },
  retries: { type: Number, default: 0 },
  history: { type: [deliveryEventSchema], default: [] },
});

export const approvalSchema = subSchema({
  approved_by: nullableString,
  approved_at: { type: Date, required: true },
  edit_distance: nullableNumber,
  original_body: nullableString,
  original_subject: nullableString,
  // The approval metrics' inputs (api/routes/approval-metrics.ts); absent on older approvals.
  edit_ratio: { type: Number },
  edited: { type: Boolean },
  draft_ready_at: { type: Date },
  customer_message_at: { type: Date },
});

export const rejectionSchema = subSchema({
  reason: nullableString,
  rejected_by: nullableString,
  rejected_at: { type: Date, required: true },
});

export const supersessionSchema = subSchema({
  reason: requiredString,
  superseded_by: nullableString,
  superseded_at: { type: Date, required: true },
  agent_run_id: nullableString,
});

export const cancelSchema = subSchema({
  reason: nullableString,
  canceled_by: nullableString,
  canceled_at: { type: Date, required: true },
});
