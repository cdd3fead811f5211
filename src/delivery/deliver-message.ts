// One run of a `message.deliver` job: look at the message in MongoDB and do
// the one thing its state calls for. Every run is safe to repeat: only a
// `scheduled` message moves, each move is a conditional update, and an
// attempt is counted in MongoDB before its SMTP transaction begins, so
// `delivery.attempts` is the number of transactions begun.
//
// Order of an email attempt (each step written down before the next runs):
//   fix headers once → settle an attempt a crash left unrecorded (receipt,
//   else the Sent folder: sent-folder-steps.ts) → count the attempt
//   (sending_at) → send → receipt in Redis → copy to Sent (append_sent) →
//   sent with the next sequence → case effects.
import { randomBytes } from 'node:crypto';
import type { SentFolderRoute } from '../mail/imap/sent-folder-types.ts';
import type { JobPayload } from '../queues/catalog.ts';
import type {
  ConversationRecord,
  DeliveryError,
  EmailMeta,
  MailboxRecord,
  MessageRecord,
} from '../store/index.ts';
import { retryDelay } from './backoff.ts';
import { attemptsInBudget } from './budget.ts';
import { classifyDeliveryFailure, toSendFailure } from './classify.ts';
import { afterFailed } from './effects.ts';
import { ownAddressBook } from '../conversations/own-address.ts';
import {
  outboundMeta,
  replyToAddress,
  sendTo,
  subjectOf,
  toOutboundMail,
} from './outbound-email.ts';
import {
  cancel,
  fail,
  recipientList,
  recordSent,
  refuse,
  type DeliveryDeps,
  type DeliveryOutcome,
} from './outcomes.ts';
import { outboundRoute, sentFolderRoute } from './route.ts';
import { fileSentCopy, settlePriorAttempt } from './sent-folder-steps.ts';

type Prepared = MessageRecord & { email: EmailMeta & { message_id: string } };

export async function deliverMessage(
  deps: DeliveryDeps,
  payload: JobPayload<'message.deliver'>,
  signal: AbortSignal,
): Promise<DeliveryOutcome> {
  const { store } = deps;
  const message = await store.messages.get(payload.account_id, payload.message_id);
  if (!message) return { kind: 'skipped', reason: 'not_found' };
  if (message.status === 'failed' && message.delivery?.last_error) {
    // A run that failed the message died before its alert: post it now (once).
    await afterFailed(deps, message, recipientList(message));
  }
  if (message.status !== 'scheduled') return { kind: 'skipped', reason: message.status };

  const conversation = await store.conversations.get(message.account_id, message.conversation_id);
  if (!conversation || conversation.redacted_at || message.redacted_at) {
    return cancel(deps, message, conversation ? 'redacted' : 'conversation_missing');
  }
  const due = dueAt(message);
  if (due.getTime() > Date.now()) return { kind: 'wait', at: due };

  // In-conversation messages (a scheduled chat reply or note) need no server.
  if (message.channel === 'message') return recordSent(deps, message, new Date(), conversation);
  if (message.visibility !== 'external') {
    return refuse(deps, message, 'not_deliverable', 'internal messages are never emailed');
  }
  // The case's mailbox at send time: a case transferred to another queue
  // (actions/transfer) replies from its new mailbox's address.
  const mailboxKey = conversation.mailbox_id ?? message.mailbox_id;
  // One read for the route and the own addresses (sendTo): an account has a
  // handful of mailboxes, and this run needs all of them anyway.
  const mailboxes = mailboxKey ? await store.mailboxes.list(message.account_id) : [];
  const mailbox = mailboxes.find((m) => m.key === mailboxKey) ?? null;
  const route = mailbox
    ? outboundRoute(mailbox, deps.bootstrap, await deps.credentials?.smtpAuth(mailbox))
    : null;
  if (!mailbox || !route) {
    return refuse(deps, message, 'no_mailbox', `no outbound mailbox "${mailboxKey ?? ''}"`);
  }
  return deliverEmail(deps, message, conversation, { mailbox, all: mailboxes }, route, signal);
}

async function deliverEmail(
  deps: DeliveryDeps,
  message: MessageRecord,
  conversation: ConversationRecord,
  /** The case's mailbox, and all of the account's as read by this run. */
  mailboxes: { mailbox: MailboxRecord; all: MailboxRecord[] },
  route: NonNullable<ReturnType<typeof outboundRoute>>,
  signal: AbortSignal,
): Promise<DeliveryOutcome> {
  const { store, receipts } = deps;
  const { mailbox } = mailboxes;
  const prepared = await prepare(deps, message, conversation, mailbox);
  if (!prepared) return { kind: 'skipped', reason: 'not_scheduled' };
  // Read by every run, so an alias added since the headers were fixed counts too.
  const own = ownAddressBook(mailboxes.all);
  const recipients = sendTo(prepared.email, own);
  if ('refused' in recipients) {
    return refuse(deps, prepared, recipients.refused.code, recipients.refused.message);
  }
  const replyTo = replyToAddress(mailbox.address, conversation.email_thread?.reply_token ?? null);
  // Only SMTP can duplicate: a resent outbox file replaces the first.
  const sent =
    route.kind === 'smtp'
      ? sentFolderRoute(
          mailbox,
          deps.bootstrap,
          mailbox.imap && deps.credentials ? await deps.credentials.imapAuth(mailbox) : undefined,
        )
      : null;
  const copyTo: SentFolderRoute | null = sent?.append ? sent.route : null;
  const runLog = deps.logger.child({ message: prepared._id, mailbox: mailbox.key });
  const prior = await settlePriorAttempt(
    deps,
    prepared,
    mailbox,
    sent?.route ?? null,
    await receipts.get(prepared._id),
    runLog,
  );
  switch (prior.kind) {
    case 'record_sent':
      // A receipt proves the 250, not the copy: the run that got it may have died before filing it.
      if (copyTo && prior.confirmed_by === 'receipt') {
        await fileSentCopy(deps, copyTo, toOutboundMail(prepared, replyTo), true, runLog);
      }
      return recordSent(deps, prepared, prior.sent_at, conversation);
    case 'wait':
      return { kind: 'wait', at: prior.at };
    case 'moved':
      return afterLostClaim(deps, prepared);
    case 'send':
      break;
  }

  const policy = mailbox.delivery;
  if (attemptsInBudget(prepared.delivery) >= policy.max_attempts) {
    // Attempts were used by runs that never recorded an outcome (crashes).
    const earlier = prepared.delivery?.last_error;
    return fail(deps, prepared, {
      code: 'interrupted',
      response: earlier?.response ?? null,
      message: `the last attempt was interrupted before its outcome was recorded${earlier ? `; before that: ${earlier.message}` : ''}`,
    });
  }
  // A human may edit the subject when re-approving between attempts: theirs
  // wins, else the one fixed before the first attempt.
  const subject = subjectOf({ subject: prepared.subject ?? prepared.email.subject }, conversation);
  const started = (await store.delivery.beginAttempt(
    prepared,
    subject,
    recipients.dropped.length > 0 ? { to: recipients.to, cc: recipients.cc } : undefined,
  )) as Prepared | null;
  if (!started) return afterLostClaim(deps, prepared);
  const attempts = started.delivery?.attempts ?? 1;
  // This attempt's place in its budget: the backoff and max_attempts count from a retry.
  const inBudget = attemptsInBudget(started.delivery) || 1;
  const log = deps.logger.child({ message: started._id, mailbox: mailbox.key, attempt: attempts });
  if (recipients.dropped.length > 0) {
    log.warn(
      { dropped: recipients.dropped.map((a) => a.address) },
      'own addresses taken out of the recipients',
    );
  }
  await deps.publisher.publish({
    type: 'message.updated',
    conversation_id: started.conversation_id,
    message_id: started._id,
  });

  const deadline = AbortSignal.any([signal, AbortSignal.timeout(deps.sendTimeoutMs)]);
  const mail = toOutboundMail(started, replyTo);
  let response: string;
  try {
    response = (await deps.outbound.send(route, mail, deadline)).response;
  } catch (error) {
    const failure = toSendFailure(error);
    const verdict = classifyDeliveryFailure(failure);
    const recorded: DeliveryError = {
      code: verdict.code,
      response: verdict.response,
      message: failure.message,
    };
    log.warn({ code: verdict.code, reason: verdict.reason, kind: verdict.kind }, 'send failed');
    if (verdict.kind === 'transient' && inBudget < policy.max_attempts) {
      const delay = retryDelay(inBudget, {
        baseMs: policy.backoff_ms,
        maxMs: policy.backoff_max_ms,
        jitter: policy.jitter,
      });
      const at = new Date(Date.now() + delay);
      const retried = await store.delivery.recordRetry(
        started.account_id,
        started._id,
        recorded,
        at,
        attempts,
      );
      if (!retried) return { kind: 'skipped', reason: 'not_scheduled' };
      await deps.publisher.publish({
        type: 'message.updated',
        conversation_id: started.conversation_id,
        message_id: started._id,
      });
      return { kind: 'retry', at, attempts, code: verdict.code };
    }
    return fail(deps, started, recorded, attempts);
  }
  // The server took the mail: from here on nothing may count as a send failure
  // (a MongoDB error below retries the job, which finds the receipt).
  const sentAt = new Date();
  const unrecorded = await receipts.put(started._id, { sent_at: sentAt.toISOString(), response });
  if (unrecorded) log.warn({ err: unrecorded }, 'could not write the sent receipt');
  log.info({ response }, 'message delivered');
  // Before recording: a crash in between leaves the receipt, whose run files the copy then.
  if (copyTo) await fileSentCopy(deps, copyTo, mail, false, log);
  return recordSent(deps, started, sentAt, conversation);
}

/** The Message-ID and thread headers, fixed once and stored before the first attempt. */
async function prepare(
  deps: DeliveryDeps,
  message: MessageRecord,
  conversation: ConversationRecord,
  mailbox: MailboxRecord,
): Promise<Prepared | null> {
  if (message.email?.message_id) return message as Prepared;
  const { store } = deps;
  const replied = message.reply_to_id
    ? await store.messages.get(message.account_id, message.reply_to_id)
    : null;
  const parent = replied?.email?.message_id
    ? replied
    : await store.delivery.newestInbound(message.account_id, message.conversation_id);
  const meta = outboundMeta({
    message,
    conversation,
    mailbox,
    parent,
    now: new Date(),
    random: randomBytes(8).toString('hex'),
  });
  const fixed = await store.delivery.fixEmailMeta(message.account_id, message._id, meta, message);
  return fixed?.email?.message_id ? (fixed as Prepared) : null;
}

/** Not before scheduled_at, nor before a retry's next_attempt_at. */
function dueAt(message: MessageRecord): Date {
  const times = [message.scheduled_at, message.delivery?.next_attempt_at]
    .filter((t): t is Date => t instanceof Date)
    .map((t) => t.getTime());
  return new Date(Math.max(0, ...times));
}

/** The attempt could not be claimed: re-approved for later, or no longer scheduled. */
async function afterLostClaim(
  deps: DeliveryDeps,
  message: MessageRecord,
): Promise<DeliveryOutcome> {
  const now = await deps.store.messages.get(message.account_id, message._id);
  if (now?.status !== 'scheduled') return { kind: 'skipped', reason: now?.status ?? 'not_found' };
  const due = dueAt(now);
  // Due but unclaimable would be a bug in the filter; wait a second rather than spin.
  return { kind: 'wait', at: due.getTime() > Date.now() ? due : new Date(Date.now() + 1_000) };
}
