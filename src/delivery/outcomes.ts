// How a delivery run ends, written down: sent (with the case effects), failed
// (with its alert), canceled. Shared by deliver-message.ts and its steps.
import { change, recordAudit } from '../audit/recorder.ts';
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import type { MailboxCredentials } from '../credentials/mailbox-credentials.ts';
import type { Outbound } from '../mail/smtp/types.ts';
import type { Logger } from '../platform/logger.ts';
import type { Publisher } from '../realtime/events.ts';
import type { ConversationRecord, DeliveryError, MessageRecord, Store } from '../store/index.ts';
import { afterFailed, afterSent } from './effects.ts';
import type { Receipts } from './receipts.ts';
import type { SentFolderDeps } from './sent-folder-steps.ts';

export interface DeliveryDeps extends SentFolderDeps {
  store: Store;
  outbound: Outbound;
  receipts: Receipts;
  publisher: Publisher;
  bootstrap: Bootstrap;
  /** Resolves the SMTP and IMAP logins (API-given passwords, OAuth2 tokens); absent: the config's passwords. */
  credentials?: MailboxCredentials;
  logger: Logger;
  /**
   * Deadline of one send. Past it the attempt is aborted and counted as a
   * transient failure: connection and greeting timeouts (10 s each) and the
   * 30 s socket timeout do not notice a server that trickles its replies.
   */
  sendTimeoutMs: number;
}

export type DeliveryOutcome =
  | { kind: 'sent'; message: MessageRecord }
  /** Not due yet (early or duplicate job, or a retry's backoff): run again at `at`. */
  | { kind: 'wait'; at: Date }
  /** A transient failure recorded; the next attempt is due at `at`. */
  | { kind: 'retry'; at: Date; attempts: number; code: string }
  | { kind: 'failed'; code: string }
  | { kind: 'canceled'; reason: string }
  /** Nothing to do: gone, already sent, failed or canceled. */
  | { kind: 'skipped'; reason: string };

/** `conversation`: the case as read at the start of this run (see afterSent). */
export async function recordSent(
  deps: DeliveryDeps,
  message: MessageRecord,
  sentAt: Date,
  conversation: ConversationRecord,
): Promise<DeliveryOutcome> {
  const { store } = deps;
  const sent = await store.delivery.markSent(message, sentAt);
  if (!sent) {
    // Canceled while the attempt was in flight: the customer has the mail anyway.
    const late = await store.delivery.recordLateSend(message.account_id, message._id, sentAt);
    deps.logger.error(
      { message: message._id, status: late?.status },
      'message delivered after it stopped being scheduled (canceled during the send)',
    );
    return { kind: 'skipped', reason: 'sent_after_cancel' };
  }
  await recordAudit(store, deps.logger, {
    account_id: sent.account_id,
    conversation_id: sent.conversation_id,
    kind: 'message_delivered',
    actor_id: null,
    message_id: sent._id,
    changes: [change('status', 'scheduled', 'sent')],
  });
  await afterSent(deps, sent, conversation);
  return { kind: 'sent', message: sent };
}

export async function fail(
  deps: DeliveryDeps,
  message: MessageRecord,
  error: DeliveryError,
  /** The attempt that failed; null (default) when none was begun. */
  attempt: number | null = null,
): Promise<DeliveryOutcome> {
  const failed = await deps.store.delivery.markFailed(
    message.account_id,
    message._id,
    error,
    attempt,
  );
  if (!failed) return { kind: 'skipped', reason: 'not_scheduled' };
  deps.logger.error(
    { message: failed._id, code: error.code, attempts: failed.delivery?.attempts },
    'delivery failed for good',
  );
  // The code only: the server's reply quotes addresses.
  await recordAudit(deps.store, deps.logger, {
    account_id: failed.account_id,
    conversation_id: failed.conversation_id,
    kind: 'message_delivery_failed',
    actor_id: null,
    message_id: failed._id,
    changes: [change('status', 'scheduled', 'failed'), change('error_code', null, error.code)],
  });
  await afterFailed(deps, failed, recipientList(failed));
  return { kind: 'failed', code: error.code ?? 'unknown' };
}

/** A message that can never be sent as it is: failed without an attempt. */
export function refuse(
  deps: DeliveryDeps,
  message: MessageRecord,
  code: string,
  why: string,
): Promise<DeliveryOutcome> {
  return fail(deps, message, { code, response: null, message: why });
}

export async function cancel(
  deps: DeliveryDeps,
  message: MessageRecord,
  reason: string,
): Promise<DeliveryOutcome> {
  const canceled = await deps.store.delivery.cancel(message.account_id, message._id, reason);
  if (canceled) {
    await deps.publisher.publish({
      type: 'message.updated',
      conversation_id: canceled.conversation_id,
      message_id: canceled._id,
    });
  }
  return { kind: 'canceled', reason };
}

export function recipientList(message: MessageRecord): string {
  return (message.email?.to ?? []).map((a) => a.address).join(', ');
}
