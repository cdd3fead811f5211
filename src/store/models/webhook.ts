import { Schema } from 'mongoose';
import { RECORD_SOURCES } from '../../conversations/enums.ts';
import {
  WEBHOOK_DELIVERY_STATUSES,
  type WebhookDeliveryRecord,
  type WebhookEndpointRecord,
} from '../records/webhook.ts';
import {
  baseOptions,
  enumOf,
  enumWithDefault,
  nullableDate,
  nullableNumber,
  nullableString,
  requiredString,
  subSchema,
} from './common.ts';

export const webhookEndpointSchema = new Schema<WebhookEndpointRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    key: nullableString,
    url: requiredString,
    events: { type: [String], default: [] },
    secret_sealed: requiredString,
    enabled: { type: Boolean, default: true },
    source: enumWithDefault(RECORD_SOURCES, 'api'),
  },
  baseOptions('webhook_endpoints'),
);
// Emission looks up the account's enabled endpoints on every event.
webhookEndpointSchema.index({ account_id: 1, enabled: 1 });
webhookEndpointSchema.index(
  { account_id: 1, key: 1 },
  { unique: true, partialFilterExpression: { key: { $type: 'string' } } },
);

const attemptSchema = subSchema({
  at: { type: Date, required: true },
  status_code: nullableNumber,
  error: nullableString,
  duration_ms: { type: Number, required: true },
});

export const webhookDeliverySchema = new Schema<WebhookDeliveryRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    endpoint_id: requiredString,
    event_id: requiredString,
    event_type: requiredString,
    event_key: requiredString,
    conversation_id: nullableString,
    payload: { type: Schema.Types.Mixed, required: true },
    status: enumOf(WEBHOOK_DELIVERY_STATUSES),
    attempts: { type: Number, default: 0 },
    round_attempts: { type: Number, default: 0 },
    last_status_code: nullableNumber,
    last_error: nullableString,
    last_attempt_at: nullableDate,
    delivered_at: nullableDate,
    queued_at: nullableDate,
    attempt_log: { type: [attemptSchema], default: [] },
  },
  baseOptions('webhook_deliveries'),
);
// One delivery per event and endpoint, however often the event is emitted again
// (a retried ingest job publishes its message.created a second time).
webhookDeliverySchema.index({ endpoint_id: 1, event_key: 1 }, { unique: true });
// The dispatcher's scan of the outbox.
webhookDeliverySchema.index({ status: 1, queued_at: 1 });
webhookDeliverySchema.index({ account_id: 1, endpoint_id: 1, status: 1, _id: -1 });
webhookDeliverySchema.index({ account_id: 1, conversation_id: 1 });
