// What a delivery run does about the attempt before it, decided without I/O.
//
// An attempt is counted (`delivery.sending_at` set) before its SMTP
// transaction begins, and `sending_at` is cleared when its outcome is
// recorded. A run that finds the message still `scheduled` with `sending_at`
// set and no sent receipt follows an attempt whose process died mid-send: the
// server may have taken the mail or not. Sending again blindly would give the
// customer a second copy whenever it had; so when the mailbox has IMAP, its
// Sent folder is asked first (Gmail and Microsoft 365 file what their SMTP
// accepted there; with append_sent Postroom files it itself after the 250).
// Found: the reply is recorded sent, as a receipt would. Not found: sent again.
// A check that cannot be made is tried again a few times on the mailbox's
// backoff, then the reply is sent anyway: a possible duplicate is better than
// a reply held back by an IMAP outage, and a refused login or a missing folder
// will not fix itself, so those send at once.
import type { SentFolderFailure } from '../mail/imap/sent-folder-types.ts';

/**
 * Looks in the Sent folder per interrupted attempt before sending anyway,
 * failed ones counted: with the default policy (30 s doubling) the first
 * three fail over about 1.5 minutes, a server restart's worth.
 */
export const SENT_CHECK_LIMIT = 3;

export type SentCheck =
  | { kind: 'found'; stored_at: Date | null }
  | { kind: 'not_found' }
  | { kind: 'failed'; failure: SentFolderFailure; message: string };

export interface PriorAttempt {
  /** When the attempt left unrecorded began; null when there is none. */
  sending_at: Date | null;
  /** When the server took the message, as the sent receipt (Redis) says; null: no receipt. */
  receipt_sent_at: Date | null;
  /** The mailbox has IMAP, so its Sent folder can be searched. */
  has_sent_folder: boolean;
  /** Checks that already failed for this attempt (`delivery.sent_checks`). */
  failed_checks: number;
  /** This run's look in the Sent folder, once made. */
  check?: SentCheck;
}

/** Why an attempt whose outcome is unknown is sent again. */
type ResendReason =
  /** The mailbox has no IMAP: nothing to look in (the bounded resend). */
  | 'no_sent_folder'
  | 'not_in_sent_folder'
  | 'sent_check_login_refused'
  | 'sent_check_folder_missing'
  /** SENT_CHECK_LIMIT checks failed. */
  | 'sent_check_failed';

export type PriorStep =
  | { kind: 'record_sent'; confirmed_by: 'receipt' | 'sent_folder'; sent_at: Date }
  | { kind: 'check_sent_folder' }
  /** The check failed: count it (now `failed_checks`) and look again later. */
  | { kind: 'check_again'; failed_checks: number; reason: string }
  /** Begin an attempt; `resend` says why when the one before may have gone out. */
  | { kind: 'send'; resend: ResendReason | null };

export function priorStep(prior: PriorAttempt, now: Date): PriorStep {
  if (prior.receipt_sent_at) {
    return { kind: 'record_sent', confirmed_by: 'receipt', sent_at: prior.receipt_sent_at };
  }
  const { sending_at: sendingAt, check } = prior;
  if (!sendingAt) return { kind: 'send', resend: null };
  if (!prior.has_sent_folder) return { kind: 'send', resend: 'no_sent_folder' };
  if (!check) return { kind: 'check_sent_folder' };
  switch (check.kind) {
    case 'found':
      return {
        kind: 'record_sent',
        confirmed_by: 'sent_folder',
        sent_at: clamp(check.stored_at ?? sendingAt, sendingAt, now),
      };
    case 'not_found':
      return { kind: 'send', resend: 'not_in_sent_folder' };
    case 'failed':
      switch (check.failure) {
        case 'auth':
          return { kind: 'send', resend: 'sent_check_login_refused' };
        case 'no_folder':
          return { kind: 'send', resend: 'sent_check_folder_missing' };
        case 'transient': {
          const failed = prior.failed_checks + 1;
          return failed >= SENT_CHECK_LIMIT
            ? { kind: 'send', resend: 'sent_check_failed' }
            : { kind: 'check_again', failed_checks: failed, reason: check.message };
        }
      }
  }
}

/**
 * The copy's INTERNALDATE has a one-second resolution and another machine's
 * clock: kept between the attempt's start and now, where the 250 must lie.
 */
function clamp(at: Date, earliest: Date, latest: Date): Date {
  const t = Math.min(Math.max(at.getTime(), earliest.getTime()), latest.getTime());
  return new Date(t);
}
