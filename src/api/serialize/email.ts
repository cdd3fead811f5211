// The `email` and `delivery` extras of a chat_message.
import type {
  DeliveryError,
  DeliveryEvent,
  DeliveryState,
  EmailAddress,
  EmailMeta,
} from '../../store/records/message.ts';
import { isoDate } from './common.ts';

export interface EmailJson {
  /** Without angle brackets; null until an outbound message is first attempted. */
  message_id: string | null;
  in_reply_to: string | null;
  references: string[];
  from: EmailAddress | null;
  to: EmailAddress[];
  cc: EmailAddress[];
  auto_submitted: boolean;
  auto_submitted_reason: string | null;
  subject: string | null;
  date: string | null;
  /**
   * Another, different mail carried this Message-ID first: this one is stored
   * as a message of its own (message_id keeps the header's value).
   */
  message_id_reused: boolean;
  /** Sent by one of the account's own addresses: kept in its case, with no effect on it. */
  from_self: boolean;
}

export interface DeliveryJson {
  /** SMTP transactions begun, over every attempt budget. */
  attempts: number;
  last_error: DeliveryError | null;
  next_attempt_at: string | null;
  sent_at: string | null;
  /** Attempts made before the current budget (a human's retry); 0 before any retry. */
  budget_start: number;
  /** Times a human sent the failed message back to delivery. */
  retries: number;
  /** Every attempt's outcome and every retry, oldest first. */
  history: Array<{
    attempt: number | null;
    outcome: DeliveryEvent['outcome'];
    at: string | null;
    error: DeliveryError | null;
    by: string | null;
  }>;
}

const errorJson = (error: DeliveryError | null): DeliveryError | null =>
  error ? { code: error.code, response: error.response, message: error.message } : null;

const address = (a: EmailAddress): EmailAddress => ({ name: a.name, address: a.address });

export function serializeEmail(email: EmailMeta | null): EmailJson | null {
  if (!email) return null;
  return {
    message_id: email.message_id ?? null,
    in_reply_to: email.in_reply_to,
    references: [...email.references],
    from: email.from ? address(email.from) : null,
    to: email.to.map(address),
    cc: email.cc.map(address),
    auto_submitted: email.auto_submitted,
    auto_submitted_reason: email.auto_submitted_reason,
    subject: email.subject,
    date: isoDate(email.date),
    message_id_reused: email.message_id_reused ?? false,
    from_self: email.from_self ?? false,
  };
}

export function serializeDelivery(delivery: DeliveryState | null): DeliveryJson | null {
  if (!delivery) return null;
  return {
    attempts: delivery.attempts,
    last_error: errorJson(delivery.last_error),
    next_attempt_at: isoDate(delivery.next_attempt_at),
    sent_at: isoDate(delivery.sent_at),
    budget_start: delivery.budget_start ?? 0,
    retries: delivery.retries ?? 0,
    history: (delivery.history ?? []).map((e) => ({
      attempt: e.attempt,
      outcome: e.outcome,
      at: isoDate(e.at),
      error: errorJson(e.error),
      by: e.by,
    })),
  };
}
