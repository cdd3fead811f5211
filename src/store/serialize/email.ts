// The `email` and `delivery` extras of a chat_message.
import type { DeliveryError, DeliveryState, EmailAddress, EmailMeta } from '../records/message.ts';
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
  attempts: number;
  last_error: DeliveryError | null;
  next_attempt_at: string | null;
  sent_at: string | null;
}

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
  const error = delivery.last_error;
  return {
    attempts: delivery.attempts,
    last_error: error
      ? { code: error.code, response: error.response, message: error.message }
      : null,
    next_attempt_at: isoDate(delivery.next_attempt_at),
    sent_at: isoDate(delivery.sent_at),
  };
}
