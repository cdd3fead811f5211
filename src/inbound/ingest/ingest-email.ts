// One inbound message: parse ▸ dedupe ▸ thread ▸ store. Every step is
// idempotent, so a retried or replayed job converges on one stored message:
// the dedupe index (Message-ID per mailbox) decides what "already stored" means,
// and work done by an attempt that lost a race is cleaned up.
import { referencedIds } from '../../conversations/threading.ts';
import { nextWorkflow } from '../../conversations/workflow.ts';
import {
  normalizeSubject,
  parseEmail,
  syntheticMessageId,
  type AttachmentSink,
  type ParsedEmail,
} from '../../mail/parse/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { JobPayload } from '../../queues/catalog.ts';
import {
  bareMessageId,
  isDuplicateKeyError,
  UNIQUE_INDEX,
  type ConversationRecord,
  type CustomerRef,
  type MailboxRecord,
  type MessageRecord,
  type ParticipantRecord,
  type Store,
} from '../../store/index.ts';
import { findCase, threadingMessages } from './find-case.ts';
import { storeBodies } from './large-bodies.ts';
import { describeSource, loadRawSource } from './raw-source.ts';

export interface IngestDeps {
  store: Store;
  logger: Logger;
  /** POSTROOM_MAX_MAIL_BYTES: a larger source is refused unread (MailTooLargeError). */
  maxMailBytes: number;
  now?: () => Date;
  /**
   * Answer `deferred`, storing nothing, for a reply to a message not stored (yet): the parent
   * may be in flight in another job (mail arrives in order but is ingested concurrently), and
   * storing the reply first would split the thread or put it before its parent. The caller
   * tries again a moment later. Default false.
   */
  waitForParent?: boolean;
  /**
   * Answer `deferred` when the message is already stored but its effects on the case are still
   * being recorded by the job that stored it (see UNSETTLED_GRACE_MS). Default false: the
   * duplicate is reported as is.
   */
  deferUnsettled?: boolean;
}

// A stored inbound message whose effects (unread, workflow, bounce alert) are
// still pending this long after it was stored lost its job to a crash: a replay
// of the same mail takes them over. The job that stored it needs milliseconds.
export const UNSETTLED_GRACE_MS = 30_000;

export type IngestOutcome =
  | { kind: 'stored'; message: MessageRecord; conversation_id: string; new_conversation: boolean }
  /** Already stored (a replayed job or the same mail twice): `message` is the stored copy. */
  | { kind: 'duplicate'; message_id: string; message: MessageRecord | null }
  /**
   * Nothing done: a reply to a message not stored yet (waitForParent), or a copy of a message
   * whose effects another job is still recording (deferUnsettled). To be tried again.
   */
  | { kind: 'deferred'; message_id: string; message: null };

export async function ingestEmail(
  deps: IngestDeps,
  payload: JobPayload<'mail.ingest'>,
): Promise<IngestOutcome> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const mailbox = await store.mailboxes.getByKey(payload.account_id, payload.mailbox_id);
  if (!mailbox)
    throw new Error(`mailbox ${payload.account_id}/${payload.mailbox_id} does not exist`);
  const log = deps.logger.child({ mailbox: mailbox.key, source: describeSource(payload) });

  const raw = await loadRawSource(payload, store, mailbox.drop_folder, deps.maxMailBytes);
  const created: string[] = [];
  const cleanup = async (): Promise<void> => {
    for (const id of created) await store.files.remove(id).catch(() => undefined);
  };

  try {
    const sink: AttachmentSink = {
      async store(meta, content) {
        const file = await store.files.put(meta.filename, content, {
          account_id: mailbox.account_id,
          purpose: 'attachment',
          content_type: meta.content_type,
          mailbox_id: mailbox.key,
        });
        created.push(file.id);
        return { id: file.id, size_bytes: file.size_bytes, checksum: file.checksum };
      },
    };
    const email = await parseEmail(raw.content, sink, { mailboxAddress: mailbox.address });
    const messageId = email.message_id ?? syntheticMessageId(email, raw.content);

    const existing = await store.messages.findByEmailMessageId(
      mailbox.account_id,
      mailbox.key,
      messageId,
    );
    if (existing) {
      await cleanup();
      return settleDuplicate({ deps, mailbox, log, raw, email, stored: existing, now: now() });
    }

    const known = await threadingMessages(store, mailbox.account_id, email);
    if (deps.waitForParent && parentMissing(email, known)) {
      await cleanup();
      log.debug({ message_id: messageId }, 'reply to a message not stored yet: trying again soon');
      return { kind: 'deferred', message_id: messageId, message: null };
    }

    let rawSourceId = raw.stored_id;
    if (!rawSourceId) {
      const stored = await store.files.put(`${messageId}.eml`, raw.content, {
        account_id: mailbox.account_id,
        purpose: 'raw_source',
        content_type: 'message/rfc822',
        mailbox_id: mailbox.key,
      });
      created.push(stored.id);
      rawSourceId = stored.id;
    }

    const bodies = await storeBodies(store, mailbox, email, messageId);
    created.push(...bodies.created);

    const decision = await findCase(store, mailbox.account_id, email, known);
    let conversation: ConversationRecord | null =
      decision.kind === 'existing'
        ? await store.conversations.get(mailbox.account_id, decision.conversation_id)
        : null;
    const opened = !conversation;
    conversation ??= await openCase(store, mailbox, email, messageId, now());

    const customer = email.from
      ? { name: email.from.name || null, address: email.from.address.toLowerCase() }
      : null;
    const participant = customer
      ? await participantOf(store, conversation, customer, opened, email.auto_submitted, now())
      : undefined;

    let message: MessageRecord;
    try {
      message = await store.messages.appendSent({
        account_id: mailbox.account_id,
        conversation_id: conversation._id,
        kind: 'email',
        visibility: 'external',
        channel: 'email',
        body: bodies.body,
        html: bodies.html,
        text_new: bodies.text_new,
        ...(bodies.body_files ? { body_files: bodies.body_files } : {}),
        subject: email.subject || null,
        mailbox_id: mailbox.key,
        participant_id: participant?._id ?? null,
        raw_source_id: rawSourceId,
        parse_error: email.parse_error,
        ingest_pending_since: now(),
        email: {
          message_id: messageId,
          in_reply_to: email.in_reply_to,
          references: email.references,
          from: email.from ? { name: email.from.name || null, address: email.from.address } : null,
          to: email.to.map((a) => ({ name: a.name || null, address: a.address })),
          cc: email.cc.map((a) => ({ name: a.name || null, address: a.address })),
          auto_submitted: email.auto_submitted,
          auto_submitted_reason: email.auto_submitted_reason,
          subject: email.subject || null,
          date: email.date,
        },
        attachments: email.attachments.map((a) => ({
          kind: a.kind,
          filename: a.filename,
          content_type: a.content_type,
          size_bytes: a.size_bytes,
          gridfs_id: a.id,
          content_id: a.content_id,
          inline: a.inline,
          checksum: a.checksum,
          url: null,
        })),
      });
    } catch (error) {
      // Another worker stored the same message between our check and our write.
      if (!isDuplicateKeyError(error, UNIQUE_INDEX.messageEmailId)) throw error;
      await cleanup();
      const stored = await store.messages.findByEmailMessageId(
        mailbox.account_id,
        mailbox.key,
        messageId,
      );
      if (!stored) throw error;
      return settleDuplicate({ deps, mailbox, log, raw, email, stored, now: now() });
    }
    created.length = 0; // Owned by the stored message from here on.

    await recordEffects(store, conversation, message, email, opened);
    log.info(
      {
        message: message._id,
        conversation: conversation._id,
        matched_by: decision.kind === 'existing' ? decision.matched_by : 'new',
        auto_submitted: email.auto_submitted_reason,
        parse_error: email.parse_error ?? undefined,
      },
      opened ? 'inbound email opened a case' : 'inbound email added to its case',
    );
    return { kind: 'stored', message, conversation_id: conversation._id, new_conversation: opened };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/**
 * The mail is already stored. Its raw source in GridFS is dropped unless it is the stored
 * message's own (a replay of the same job), and effects left unrecorded by a job that died
 * after storing the message are finished here, or later when that job may still be alive.
 */
async function settleDuplicate(input: {
  deps: IngestDeps;
  mailbox: MailboxRecord;
  log: Logger;
  raw: { stored_id: string | null };
  email: ParsedEmail;
  stored: MessageRecord;
  now: Date;
}): Promise<IngestOutcome> {
  const { deps, mailbox, log, raw, email, stored, now } = input;
  const { store } = deps;
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
        const opened = conversation.email_thread?.root_message_id === messageId;
        await recordEffects(store, conversation, stored, email, opened);
      } else {
        await store.inbound.settle(stored._id);
      }
      log.warn(
        { message: stored._id, message_id: messageId },
        'finished recording a stored message left unsettled by an interrupted ingest',
      );
    } else if (deps.deferUnsettled) {
      log.debug({ message_id: messageId }, 'stored message still settling: trying again soon');
      return { kind: 'deferred', message_id: messageId, message: null };
    }
  }
  log.info({ message_id: messageId }, 'duplicate message: already stored');
  return { kind: 'duplicate', message_id: messageId, message: stored };
}

/** Unread count, workflow move and bounce alert, then the message is settled. */
async function recordEffects(
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

/** The message replies to one (In-Reply-To, else the last reference) that is not stored. */
function parentMissing(email: ParsedEmail, known: readonly MessageRecord[]): boolean {
  const parent = referencedIds(email)[0];
  if (!parent) return false;
  const bare = bareMessageId(parent);
  return !known.some((message) => message.email?.message_id === bare);
}

/**
 * The sender's participant on the case, added first when missing (unless the mail is
 * automated). A case just opened, or one already listing the sender, is answer enough;
 * otherwise the participant is read back after the conditional add, whoever added it.
 */
async function participantOf(
  store: Store,
  conversation: ConversationRecord,
  customer: CustomerRef,
  opened: boolean,
  automated: boolean,
  now: Date,
): Promise<ParticipantRecord | undefined> {
  const listed = conversation.participants.find((p) => p.customer?.address === customer.address);
  if (opened || listed) return listed;
  if (automated) return undefined;
  await store.inbound.addCustomer(conversation, customer, now);
  return (
    await store.conversations.get(conversation.account_id, conversation._id)
  )?.participants.find((p) => p.customer?.address === customer.address);
}

async function openCase(
  store: Store,
  mailbox: MailboxRecord,
  email: ParsedEmail,
  messageId: string,
  now: Date,
): Promise<ConversationRecord> {
  const agents = (await store.agents.getMany(mailbox.account_id, mailbox.agent_ids)).filter(
    (agent) => agent.status === 'active',
  );
  const subject = normalizeSubject(email.subject);
  return store.inbound.openThread(
    {
      account_id: mailbox.account_id,
      type: 'group',
      audience: 'customer',
      title: subject || '(no subject)',
      workflow_status: 'new',
      mailbox_id: mailbox.key,
      email_thread: { root_message_id: messageId, subject_normalized: subject || null },
      participants: [
        ...(email.from
          ? [
              {
                type: 'customer' as const,
                role: 'member' as const,
                customer: {
                  name: email.from.name || null,
                  address: email.from.address.toLowerCase(),
                },
                joined_at: now,
              },
            ]
          : []),
        ...agents.map((agent) => ({
          type: 'agent' as const,
          role: 'member' as const,
          actor_id: agent._id,
          agent_trigger_policy: agent.trigger_policy,
          agent_trigger_keywords: agent.trigger_keywords,
          joined_at: now,
        })),
      ],
    },
    messageId,
  );
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
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const current =
      attempt === 0
        ? conversation
        : await store.conversations.get(conversation.account_id, conversation._id);
    if (!current) return;
    let change = null;
    if (!opened && current.workflow_status) {
      if (isFailureReport(email))
        change = nextWorkflow(current.workflow_status, { type: 'delivery_failed' }, new Date());
      else if (!email.auto_submitted)
        change = nextWorkflow(current.workflow_status, { type: 'customer_replied' }, new Date());
    }
    if (await store.inbound.recordMessage(current, change)) return;
  }
  throw new Error(
    `conversation ${conversation._id} kept changing while recording a message; will retry`,
  );
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
