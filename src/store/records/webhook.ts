import type { RecordSource } from '../../conversations/enums.ts';

/** Where an account's events are POSTed. The signing secret is kept sealed (SecretBox). */
export interface WebhookEndpointRecord {
  _id: string;
  account_id: string;
  /** The bootstrap file's id for the endpoint; null for endpoints made through the API. */
  key: string | null;
  url: string;
  /** The event types sent to this endpoint. */
  events: string[];
  /** The HMAC secret, sealed with the endpoint's id as context. */
  secret_sealed: string;
  enabled: boolean;
  source: RecordSource;
  created_at: Date;
  updated_at: Date;
}

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export interface WebhookAttemptRecord {
  at: Date;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** One event for one endpoint: the outbox record, then the delivery's history. */
export interface WebhookDeliveryRecord {
  _id: string;
  account_id: string;
  endpoint_id: string;
  /** Shared by every endpoint's copy of one event: the Postroom-Event-Id header. */
  event_id: string;
  event_type: string;
  /** What makes a repeated emission of the same event one delivery (unique per endpoint). */
  event_key: string;
  /** The conversation the event is about, so redaction finds it; null for mailbox events. */
  conversation_id: string | null;
  payload: Record<string, unknown>;
  status: WebhookDeliveryStatus;
  /** Every attempt ever made, replays included. */
  attempts: number;
  /** Attempts since the delivery was emitted or last replayed: what the attempt limit counts. */
  round_attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  /** When the job was handed to BullMQ; null while only the outbox holds it. */
  queued_at: Date | null;
  attempt_log: WebhookAttemptRecord[];
  created_at: Date;
  updated_at: Date;
}
