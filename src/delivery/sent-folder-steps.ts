// The Sent-folder steps of an email delivery: settle the attempt a crash left
// without an outcome (prior-attempt.ts decides; this does the I/O and records
// it), and file a copy of a sent reply where the mailbox asks for one
// (append_sent). A copy that cannot be filed never fails a delivery: the mail
// is already out.
import type { Metrics } from '../platform/metrics.ts';
import { SentFolderError, type SentFolderRoute } from '../mail/imap/sent-folder-types.ts';
import type { SentFolders } from '../mail/imap/sent-folder-types.ts';
import { renderMessage } from '../mail/smtp/compose.ts';
import type { OutboundMail } from '../mail/smtp/types.ts';
import type { Logger } from '../platform/logger.ts';
import type { MailboxRecord, MessageRecord, Store } from '../store/index.ts';
import { retryDelay } from './backoff.ts';
import { priorStep, type PriorAttempt, type SentCheck } from './prior-attempt.ts';

export interface SentFolderDeps {
  store: Store;
  sentFolders: SentFolders;
  metrics: Pick<Metrics, 'deliverySentChecks' | 'deliveryResends' | 'deliverySentCopies'>;
}

export type PriorOutcome =
  | { kind: 'record_sent'; confirmed_by: 'receipt' | 'sent_folder'; sent_at: Date }
  /** The check failed and was counted: look again at `at`. */
  | { kind: 'wait'; at: Date }
  /** The message changed while this run looked (canceled, re-approved, another run). */
  | { kind: 'moved' }
  | { kind: 'send' };

/** What to do before sending `message`, whose Message-ID is fixed. */
export async function settlePriorAttempt(
  deps: SentFolderDeps,
  message: MessageRecord & { email: { message_id: string } },
  mailbox: MailboxRecord,
  sentFolder: SentFolderRoute | null,
  receipt: { sent_at: string } | null,
  log: Logger,
): Promise<PriorOutcome> {
  const prior: PriorAttempt = {
    sending_at: message.delivery?.sending_at ?? null,
    receipt_sent_at: receipt ? new Date(receipt.sent_at) : null,
    has_sent_folder: sentFolder !== null,
    failed_checks: message.delivery?.sent_checks ?? 0,
  };
  let step = priorStep(prior, new Date());
  let folder: string | null = null;
  if (step.kind === 'check_sent_folder' && sentFolder) {
    const looked = await lookInSentFolder(deps, sentFolder, message.email.message_id);
    folder = looked.folder;
    step = priorStep({ ...prior, check: looked.check }, new Date());
  }
  switch (step.kind) {
    case 'record_sent':
      log.info(
        { confirmed_by: step.confirmed_by, folder, sent_at: step.sent_at },
        step.confirmed_by === 'receipt'
          ? 'recording as sent: its receipt says the server took it on an earlier run'
          : 'recording as sent: the interrupted attempt is in the Sent folder, not sending it again',
      );
      return step;
    case 'check_again': {
      const policy = mailbox.delivery;
      const at = new Date(
        Date.now() +
          retryDelay(step.failed_checks, {
            baseMs: policy.backoff_ms,
            maxMs: policy.backoff_max_ms,
            jitter: policy.jitter,
          }),
      );
      const error = {
        code: 'sent_check_failed',
        response: null,
        message: `could not look in the Sent folder for the interrupted attempt: ${step.reason}`,
      };
      const recorded = await deps.store.delivery.recordSentCheckFailure(message, error, at);
      log.warn(
        { failed_checks: step.failed_checks, next_check_at: at, reason: step.reason },
        'outcome of the interrupted attempt unknown: looking in the Sent folder again later',
      );
      return recorded ? { kind: 'wait', at } : { kind: 'moved' };
    }
    case 'send':
      if (step.resend) {
        deps.metrics.deliveryResends.inc({ reason: step.resend });
        log.warn(
          { reason: step.resend, sending_at: prior.sending_at, folder },
          'sending again: the interrupted attempt may or may not have reached the server',
        );
      }
      return { kind: 'send' };
    case 'check_sent_folder':
      // Only asked for with a Sent folder, which was then searched.
      return { kind: 'send' };
  }
}

async function lookInSentFolder(
  deps: SentFolderDeps,
  route: SentFolderRoute,
  messageId: string,
): Promise<{ check: SentCheck; folder: string | null }> {
  try {
    const search = await deps.sentFolders.find(route, messageId);
    deps.metrics.deliverySentChecks.inc({ result: search.found ? 'found' : 'not_found' });
    return search.found
      ? { check: { kind: 'found', stored_at: search.stored_at }, folder: search.folder }
      : { check: { kind: 'not_found' }, folder: search.folder };
  } catch (error) {
    deps.metrics.deliverySentChecks.inc({ result: 'failed' });
    const failure = error instanceof SentFolderError ? error.failure : 'transient';
    const message = error instanceof Error ? error.message : String(error);
    return { check: { kind: 'failed', failure, message }, folder: null };
  }
}

/**
 * File a copy of a sent reply in the Sent folder. `lookFirst` when an earlier
 * run may already have (recovering from a receipt): a search keeps it to one.
 */
export async function fileSentCopy(
  deps: SentFolderDeps,
  route: SentFolderRoute,
  mail: OutboundMail,
  lookFirst: boolean,
  log: Logger,
): Promise<void> {
  const count = (result: 'appended' | 'present' | 'failed' | 'paused') =>
    deps.metrics.deliverySentCopies.inc({ result });
  try {
    if (lookFirst && (await deps.sentFolders.find(route, mail.messageId)).found) {
      count('present');
      return;
    }
    const { folder } = await deps.sentFolders.append(route, await renderMessage(mail));
    count('appended');
    log.debug({ folder }, 'copy filed in the Sent folder');
  } catch (error) {
    const paused = error instanceof SentFolderError && error.paused;
    count(paused ? 'paused' : 'failed');
    // One line per failure; while paused only debug, or a burst would repeat it per reply.
    const line = paused
      ? 'no copy in the Sent folder: appends paused after a recent failure'
      : 'no copy in the Sent folder: the APPEND failed (the reply is sent)';
    log[paused ? 'debug' : 'warn']({ err: error }, line);
  }
}
