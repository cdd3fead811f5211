import { Schema } from 'mongoose';
import { AUDIT_KINDS, type AuditRecord } from '../records/audit.ts';
import { baseOptions, enumOf, nullableString, requiredString, subSchema } from './common.ts';

const changeSchema = subSchema({
  field: requiredString,
  // A scalar of any type (string, number, boolean) or null.
  before: { type: Schema.Types.Mixed, default: null },
  after: { type: Schema.Types.Mixed, default: null },
  content: { type: Boolean, default: false },
});

export const auditSchema = new Schema<AuditRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    conversation_id: requiredString,
    kind: enumOf(AUDIT_KINDS),
    actor_id: nullableString,
    message_id: nullableString,
    changes: { type: [changeSchema], default: [] },
    created_at: { type: Date, required: true },
  },
  // Entries are written once and never updated (but for a redaction's erasure).
  baseOptions('audit', false),
);

// The audit endpoint: a case's entries, oldest first, _id breaking ties.
auditSchema.index({ account_id: 1, conversation_id: 1, created_at: 1, _id: 1 });
