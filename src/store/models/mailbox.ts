import { Schema } from 'mongoose';
import { MAILBOX_KINDS, OUTBOUND_KINDS, SYNC_STATUSES } from '../../conversations/enums.ts';
import type { MailboxRecord } from '../records/mailbox.ts';
import {
  baseOptions,
  enumOf,
  enumWithDefault,
  nullableDate,
  nullableString,
  nullableSub,
  requiredString,
  subSchema,
} from './common.ts';

// No plain password fields anywhere: the config's stay in memory, and those
// given through the API (and OAuth2 tokens) are sealed under `credentials`.
const imapSchema = subSchema({
  host: requiredString,
  port: { type: Number, required: true },
  secure: { type: Boolean, required: true },
  user: requiredString,
  folder: requiredString,
  mark_seen: { type: Boolean, required: true },
  history_days: { type: Number, default: null },
  sent_folder: nullableString,
  append_sent: { type: Boolean, default: false },
});

const smtpSchema = subSchema({
  host: requiredString,
  port: { type: Number, required: true },
  secure: { type: Boolean, required: true },
  user: nullableString,
  pool_size: { type: Number, required: true },
});

const outboundSchema = subSchema({
  kind: enumOf(OUTBOUND_KINDS),
  smtp: nullableSub(smtpSchema),
  outbox_folder: nullableString,
});

const deliverySchema = subSchema({
  max_attempts: { type: Number, required: true },
  backoff_ms: { type: Number, required: true },
  backoff_max_ms: { type: Number, required: true },
  jitter: { type: Number, required: true },
  cancel_scheduled_on_customer_reply: { type: Boolean, required: true },
});

const syncSchema = subSchema({
  uidvalidity: nullableString,
  last_uid: { type: Number, default: 0 },
  status: enumWithDefault(SYNC_STATUSES, 'idle'),
  last_error: nullableString,
  last_sync_at: nullableDate,
  breaker: enumWithDefault(['closed', 'open'], 'closed'),
  auth_failures: { type: Number, default: 0 },
  retry_at: nullableDate,
});

export const mailboxSchema = new Schema<MailboxRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    key: requiredString,
    address: requiredString,
    // Lower-cased, as the address: other addresses of this mailbox (conversations/own-address.ts).
    aliases: { type: [String], default: [] },
    display_name: nullableString,
    kind: enumOf(MAILBOX_KINDS),
    imap: nullableSub(imapSchema),
    drop_folder: nullableString,
    outbound: { type: outboundSchema, required: true },
    agent_ids: { type: [String], default: [] },
    delivery: { type: deliverySchema, required: true },
    sync: { type: syncSchema, default: () => ({}) },
    // Sealed secrets only (platform/secret-box.ts); shapes in records/mailbox.ts.
    credentials: { type: Schema.Types.Mixed, default: () => ({}) },
  },
  baseOptions('mailboxes'),
);

mailboxSchema.index({ account_id: 1, key: 1 }, { unique: true });
