// One inbound message: parse ▸ dedupe ▸ thread ▸ store. Every step is
// idempotent, so a retried or replayed job converges on one stored message:
// the dedupe (conversations/dedupe.ts: Message-ID and content hash, a unique
// key per mailbox) decides what "already stored" means, and work done by an
// attempt that lost a race is cleaned up. Mail from one of the account's own
// addresses (conversations/own-address.ts) is kept in the case it answers,
// with no effect on it, or quarantined when it answers none.
import { decideDedupe, reusedDecision } from '../../conversations/dedupe.ts';
import {
  matchOwnAddress,
  ownAddressBook,
  ownSenderReason,
} from '../../conversations/own-address.ts';
import { referencedIds } from '../../conversations/threading.ts';
import {
  legacySyntheticMessageId,
  parseEmail,
  significantHash,
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
  type MessageRecord,
  type Store,
} from '../../store/index.ts';
import { recordEffects, settleDuplicate, type SettledDuplicate } from './effects.ts';
import { findCase, threadingMessages } from './find-case.ts';
import { repliedMessageId } from './reply-to.ts';
import { openCase, participantOf } from './open-case.ts';
import { quarantine, type Quarantined } from './quarantine.ts';
import { inboundMessage } from './message-input.ts';
import { storeBodies } from './large-bodies.ts';
import { describeSource, loadRawSource } from './raw-source.ts';

export { UNSETTLED_GRACE_MS } from './effects.ts';

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

export type IngestOutcome =
  | { kind: 'stored'; message: MessageRecord; conversation_id: string; new_conversation: boolean }
  /** Mail from one of our own addresses, kept in the case it answers: no effect, no agent. */
  | { kind: 'own'; message: MessageRecord; conversation_id: string }
  /** Mail from one of our own addresses that answers no case: set aside, see quarantine.ts. */
  | Quarantined
  /**
   * `duplicate`: already stored (`message` is the stored copy). `deferred`: nothing done, to be
   * tried again: a reply to a message not stored yet (waitForParent), or a copy of a message
   * whose effects another job is still recording (deferUnsettled).
   */
  | SettledDuplicate;

// Each round of a race for a dedupe key has a winner, and a loser re-reads and
// either finds the winner's copy or takes a key of its own: three rounds cover
// two different mails and a copy arriving at once.
const MAX_STORE_ATTEMPTS = 3;

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
    created.length = 0;
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
    const incoming = {
      message_id: bareMessageId(email.message_id ?? syntheticMessageId(email, raw.content)),
      content_hash: significantHash(email, raw.content),
    };
    // A mail without a Message-ID may be stored under the synthetic id of an earlier version.
    const ids = email.message_id
      ? [incoming.message_id]
      : [incoming.message_id, legacySyntheticMessageId(email, raw.content)];
    const readCopies = () => store.messages.findCopies(mailbox.account_id, mailbox.key, ids);
    const duplicateOf = async (stored: MessageRecord): Promise<SettledDuplicate> => {
      await cleanup();
      return settleDuplicate({
        store,
        deferUnsettled: deps.deferUnsettled ?? false,
        mailbox,
        log,
        raw,
        email,
        stored,
        now: now(),
      });
    };

    let decision = decideDedupe(incoming, await readCopies());
    if (decision.kind === 'duplicate') return await duplicateOf(decision.of);

    const known = await threadingMessages(store, mailbox.account_id, email);
    if (deps.waitForParent && parentMissing(email, known)) {
      await cleanup();
      log.debug(
        { message_id: incoming.message_id },
        'reply to a message not stored yet: trying again soon',
      );
      return { kind: 'deferred', message_id: incoming.message_id, message: null };
    }

    const thread = await findCase(store, mailbox.account_id, email, known);
    let conversation: ConversationRecord | null =
      thread.kind === 'existing'
        ? await store.conversations.get(mailbox.account_id, thread.conversation_id)
        : null;

    const own = matchOwnAddress(
      email.from?.address,
      ownAddressBook(await store.mailboxes.list(mailbox.account_id)),
    );
    if (own && email.from && !conversation) {
      await cleanup();
      return await quarantine({
        store,
        log,
        payload,
        mailbox,
        raw,
        messageId: incoming.message_id,
        reason: ownSenderReason(email.from.address, own),
        now: now(),
      });
    }

    let rawSourceId = raw.stored_id;
    if (!rawSourceId) {
      const stored = await store.files.put(`${incoming.message_id}.eml`, raw.content, {
        account_id: mailbox.account_id,
        purpose: 'raw_source',
        content_type: 'message/rfc822',
        mailbox_id: mailbox.key,
      });
      created.push(stored.id);
      rawSourceId = stored.id;
    }

    const bodies = await storeBodies(store, mailbox, email, incoming.message_id);
    created.push(...bodies.created);

    const opened = !conversation;
    for (let attempt = 1; ; attempt++) {
      if (!conversation) {
        conversation = await openCase(store, mailbox, email, { ...incoming, decision }, now());
        // The Message-ID is the root of a case a different mail opened: this mail reuses it.
        if (!conversation) {
          decision = reusedDecision(incoming);
          continue;
        }
      }
      const customer =
        email.from && !own
          ? { name: email.from.name || null, address: email.from.address.toLowerCase() }
          : null;
      const participant = customer
        ? await participantOf(store, conversation, customer, opened, email.auto_submitted, now())
        : undefined;
      try {
        const message = await store.messages.appendSent(
          inboundMessage({
            mailboxKey: mailbox.key,
            email,
            incoming,
            decision,
            conversation,
            participantId: participant?._id ?? null,
            replyToId: repliedMessageId(email, known, conversation._id),
            rawSourceId,
            bodies,
            fromSelf: Boolean(own),
            // Our own mail has no effect on the case to record.
            pendingSince: own ? null : now(),
          }),
        );
        created.length = 0; // Owned by the stored message from here on.
        return await afterStored({ store, log, conversation, message, email, opened, own: !!own });
      } catch (error) {
        // Another worker stored a mail with this key between our read and our write.
        if (!isDuplicateKeyError(error, UNIQUE_INDEX.messageDedupeKey)) throw error;
        if (attempt >= MAX_STORE_ATTEMPTS) throw error;
        const again = decideDedupe(incoming, await readCopies());
        if (again.kind === 'duplicate') return await duplicateOf(again.of);
        // A different mail won the plain id: this one is stored under a key of its own,
        // in the case it already has (opened for it, or the one it threads into).
        decision = again;
      }
    }
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function afterStored(input: {
  store: Store;
  log: Logger;
  conversation: ConversationRecord;
  message: MessageRecord;
  email: ParsedEmail;
  opened: boolean;
  own: boolean;
}): Promise<IngestOutcome> {
  const { store, log, conversation, message, email, opened } = input;
  const fields = {
    message: message._id,
    conversation: conversation._id,
    message_id_reused: message.email?.message_id_reused || undefined,
  };
  if (input.own) {
    log.info(fields, 'mail from our own address stored in its case, with no effect on it');
    return { kind: 'own', message, conversation_id: conversation._id };
  }
  await recordEffects(store, conversation, message, email, opened);
  log.info(
    {
      ...fields,
      auto_submitted: email.auto_submitted_reason,
      parse_error: email.parse_error ?? undefined,
    },
    opened ? 'inbound email opened a case' : 'inbound email added to its case',
  );
  return { kind: 'stored', message, conversation_id: conversation._id, new_conversation: opened };
}

/** The message replies to one (In-Reply-To, else the last reference) that is not stored. */
function parentMissing(email: ParsedEmail, known: readonly MessageRecord[]): boolean {
  const parent = referencedIds(email)[0];
  if (!parent) return false;
  const bare = bareMessageId(parent);
  return !known.some((message) => message.email?.message_id === bare);
}
