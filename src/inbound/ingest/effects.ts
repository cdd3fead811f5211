// What a stored customer mail does to its case (unread count, workflow move,
// bounce alert), and how a mail already stored is settled: effects left
// unrecorded by a job that died after storing it are finished by a replay.
import { moveCase } from '../../conversations/move-case.ts';
import { nextWorkflow } from '../../conversations/workflow.ts';
import type { ParsedEmail } from '../../mail/parse/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { ConversationRecord, MailboxRecord, MessageRecord, Store } from '../../store/index.ts';

// A stored inbound message whose effects (unread, workflow, bounce alert) are
// still pending this long after it was stored lost its job to a crash: a replay
// of the same mail takes them over. The job that stored it needs milliseconds.
export const UNSETTLED_GRACE_MS = 30_000;

export type SettledDuplicate =
  /** Already stored (a replayed job or the same mail twice): `message` is the stored copy. */
  | { kind: 'duplicate'; message_id: string; message: MessageRecord | null }
  /** A copy of a message whose effects another job is still recording: to be tried again. */
  | { kind: 'deferred'; message_id: string; message: null };

/**
 * The mail is already stored. Its raw source in GridFS is dropped unless it is the stored
 * message's own (a replay of the same job), and effects left unrecorded by a job that died
 * after storing the message are finished here, or later when that job may still be alive.
 */
export async function settleDuplicate(input: {
  store: Store;
  deferUnsettled: boolean;
  mailbox: MailboxRecord;
  log: Logger;
  raw: { stored_id: string | null };
  email: ParsedEmail;
  stored: MessageRecord;
  now: Date;
}): Promise<SettledDuplicate> {
  const { store, mailbox, log, raw, email, stored, now } = input;
  const messageId = stored.email?.message_id ?? '';
  if (raw.stored_id && raw.stored_id !== stored.raw_source_id) {
    await store.files.remove(raw.stored_id).catch((error: unknown) => {
      log.warn({ err: error, file: raw.stored_id }, 'could not remove a duplicate raw source');
    });
  }
  if (stored.ingest_pending_since) {
    const staleBefore = new Date(now.getTime() - UNSETTLED_GRACE_MS);
    if (await store.inbound.claimUnsettled(stored._id, staleBefore, now)) {
      const conversation = await store.conversations.get(
        mailbox.account_id,
        stored.conversation_id,
      );
      if (conversation) {
        await recordEffects(store, conversation, stored, email, openedBy(conversation, stored));
      } else {
        await store.inbound.settle(stored._id);
      }
      log.warn(
        { message: stored._id, message_id: messageId },
        'finished recording a stored message left unsettled by an interrupted ingest',
      );
    } else if (input.deferUnsettled) {
      log.debug({ message_id: messageId }, 'stored message still settling: trying again soon');
      return { kind: 'deferred', message_id: messageId, message: null };
    }
  }
  log.info({ message_id: messageId }, 'duplicate message: already stored');
  return { kind: 'duplicate', message_id: messageId, message: stored };
}

/** Whether `message` is the mail that opened `conversation` (its thread root). */
function openedBy(conversation: ConversationRecord, message: MessageRecord): boolean {
  const thread = conversation.email_thread;
  const email = message.email;
  if (!thread || !email) return false;
  if (thread.root_key) return thread.root_key === email.dedupe_key;
  if (thread.root_message_id !== email.message_id) return false;
  return !thread.root_hash || !email.content_hash || thread.root_hash === email.content_hash;
}

/** Unread count, workflow move and bounce alert, then the message is settled. */
export async function recordEffects(
  store: Store,
  conversation: ConversationRecord,
  message: MessageRecord,
  email: ParsedEmail,
  opened: boolean,
): Promise<void> {
  await moveWorkflow(store, conversation, email, opened);
  if (isFailureReport(email)) await postBounceAlert(store, conversation, message, email);
  await store.inbound.settle(message._id);
}

// A customer's reply moves the workflow (rules in conversations/workflow.ts);
// auto-replies and list mail are stored but move nothing; a bounce of our
// reply means it never arrived, so the case needs the team again.
async function moveWorkflow(
  store: Store,
  conversation: ConversationRecord,
  email: ParsedEmail,
  opened: boolean,
): Promise<void> {
  const result = await moveCase({
    seen: conversation,
    read: () => store.conversations.get(conversation.account_id, conversation._id),
    plan: (current) => {
      if (opened || !current.workflow_status) return null;
      if (isFailureReport(email))
        return nextWorkflow(current.workflow_status, { type: 'delivery_failed' }, new Date());
      if (!email.auto_submitted)
        return nextWorkflow(current.workflow_status, { type: 'customer_replied' }, new Date());
      return null;
    },
    write: (current, change) => store.inbound.recordMessage(current, change),
  });
  if (result.kind === 'contended') {
    throw new Error(
      `conversation ${conversation._id} kept changing while recording a message; will retry`,
    );
  }
}

// Delay warnings ("still trying", 4.x.x) are reports too, but nothing failed yet.
function isFailureReport(email: ParsedEmail): boolean {
  const bounce = email.bounce;
  if (!bounce) return false;
  return bounce.action === 'failed' || (bounce.action === null && !bounce.status?.startsWith('4'));
}

/** Inbound mail: an email stored from its raw source (what we send carries no raw source). */
function isReceived(message: MessageRecord): boolean {
  return message.kind === 'email' && Boolean(message.raw_source_id);
}

async function postBounceAlert(
  store: Store,
  conversation: ConversationRecord,
  bounceMessage: MessageRecord,
  email: ParsedEmail,
): Promise<void> {
  const bounce = email.bounce;
  if (!bounce) return;
  const ours = bounce.original_message_id
    ? (
        await store.messages.findByEmailMessageIds(conversation.account_id, [
          bounce.original_message_id,
        ])
      ).find(
        // Only a message we sent: not one we received (a report may even repeat its own Message-ID).
        (m) =>
          m.conversation_id === conversation._id && m._id !== bounceMessage._id && !isReceived(m),
      )
    : undefined;
  if (!ours) return; // A bounce of nothing we sent is stored, flagged, and left at that.
  if (await store.inbound.hasAlertFor(bounceMessage._id)) return; // Posted before a crash.
  const recipients = bounce.recipients.length ? bounce.recipients.join(', ') : 'the recipient';
  await store.messages.appendSent({
    account_id: conversation.account_id,
    conversation_id: conversation._id,
    kind: 'alert',
    visibility: 'internal',
    channel: 'message',
    body: `Delivery to ${recipients} failed${bounce.status ? ` (status ${bounce.status})` : ''}: the mail server bounced our message. See the bounce message for details.`,
    reply_to_id: ours._id,
    trigger_message_id: bounceMessage._id,
  });
}
