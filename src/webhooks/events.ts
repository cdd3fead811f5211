// The webhook contract: the event types an endpoint can subscribe to, the
// envelope every delivery carries, and its signature. Receivers verify
// `Postroom-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
import { createHmac } from 'node:crypto';
import { WEBHOOK_EVENTS } from '../config/bootstrap-schema.ts';

// One list for the bootstrap file, the admin API and emission (config sits below us).
export const WEBHOOK_EVENT_TYPES = WEBHOOK_EVENTS;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const SIGNATURE_HEADER = 'Postroom-Signature';
export const EVENT_ID_HEADER = 'Postroom-Event-Id';

/** `t=<timestamp>,v1=<hex>`: the timestamp is signed with the body, so a replayed request ages. */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}
