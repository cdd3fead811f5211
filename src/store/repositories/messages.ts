import { isDuplicateKeyError } from '../errors.ts';
import { bareMessageId, newId } from '../ids.ts';
import { UNIQUE_INDEX } from '../index-names.ts';
import type { Models } from '../models/index.ts';
import {
  paginate,
  type Filter,
  type Page,
  type PageRequest,
  type Segment,
} from '../pagination/keyset.ts';
import {
  MESSAGE_STATUSES,
  type MessageStatus,
  type Visibility,
} from '../../conversations/enums.ts';
import type { AttachmentRecord, EmailMeta, MessageRecord } from '../records/message.ts';
import { createKeyedLock } from './keyed-lock.ts';
import { leanFetch } from './lean-fetch.ts';
import { nextSequence } from './sequence.ts';

type NewAttachment = Partial<AttachmentRecord> & Pick<AttachmentRecord, 'kind'>;

/** Email metadata to store; omitted fields take the schema defaults (null, [], false). */
export type NewEmailMeta = Partial<EmailMeta>;

/** A message to store; ids, defaults and (for sent ones) the sequence are filled in. */
export type NewMessage = Partial<
  Omit<MessageRecord, '_id' | 'sequence' | 'attachments' | 'email' | 'created_at' | 'updated_at'>
> &
  Pick<MessageRecord, 'account_id' | 'conversation_id' | 'kind' | 'visibility' | 'channel'> & {
    attachments?: NewAttachment[];
    email?: NewEmailMeta | null;
  };

export interface MessageListOptions extends PageRequest {
  /** Only these statuses (default: all). */
  status?: readonly MessageStatus[];
  /** Only these visibilities (default: all); the customer view asks for external and system. */
  visibility?: readonly Visibility[];
}

const LIST = 'messages';
// created_at ties (the same millisecond) are broken by _id, so every reader picks the same one.
const EARLIEST_FIRST = { created_at: 1, _id: 1 } as const;
// A conversation seldom sees more than a few writers at once; each round of
// the sequence race has one winner, so this bounds a pathological pile-up.
const MAX_SEQUENCE_ATTEMPTS = 100;

export function createMessagesRepository(models: Models) {
  const { Message, Conversation } = models;
  const sequenceLock = createKeyedLock();

  function prepare(input: NewMessage): Record<string, unknown> {
    const { attachments = [], email, ...fields } = input;
    return {
      ...fields,
      _id: newId('msg'),
      ...(email === undefined ? {} : { email: email && bareIds(email) }),
      attachments: attachments.map((a) => ({ _id: newId('att'), ...a })),
    };
  }

  return {
    async get(accountId: string, messageId: string): Promise<MessageRecord | null> {
      return Message.findOne({ _id: messageId, account_id: accountId })
        .lean<MessageRecord>()
        .exec();
    },

    /**
     * A conversation's messages in timeline order: sent ones by sequence, then
     * the others (drafts, scheduled, failed...) by creation time.
     */
    async listForConversation(
      accountId: string,
      conversationId: string,
      options: MessageListOptions = {},
    ): Promise<Page<MessageRecord>> {
      const wanted = options.status?.length ? options.status : MESSAGE_STATUSES;
      const others = wanted.filter((status) => status !== 'sent');
      const base: Filter = { account_id: accountId, conversation_id: conversationId };
      if (options.visibility?.length) base.visibility = { $in: [...options.visibility] };
      const segments: Array<Segment<MessageRecord>> = [
        {
          filter: wanted.includes('sent') ? { ...base, status: 'sent' } : null,
          keys: [{ field: 'sequence', type: 'number' }],
          direction: 1,
          keyOf: (m) => [m.sequence ?? 0],
        },
        {
          filter: others.length ? { ...base, status: { $in: others } } : null,
          keys: [
            { field: 'created_at', type: 'date' },
            { field: '_id', type: 'string' },
          ],
          direction: 1,
          keyOf: (m) => [m.created_at, m._id],
        },
      ];
      return paginate(LIST, segments, options, leanFetch<MessageRecord>(Message));
    },

    /** The message of the account holding an attachment (for downloads by attachment id). */
    async findByAttachmentId(
      accountId: string,
      attachmentId: string,
    ): Promise<MessageRecord | null> {
      return Message.findOne({ account_id: accountId, 'attachments._id': attachmentId })
        .lean<MessageRecord>()
        .exec();
    },

    /**
     * The message of a mailbox carrying a Message-ID; the earliest stored when
     * several do (a reused id, see conversations/dedupe.ts).
     */
    async findByEmailMessageId(
      accountId: string,
      mailboxKey: string,
      messageId: string,
    ): Promise<MessageRecord | null> {
      return Message.findOne({
        account_id: accountId,
        mailbox_id: mailboxKey,
        'email.message_id': bareMessageId(messageId),
      })
        .sort(EARLIEST_FIRST)
        .lean<MessageRecord>()
        .exec();
    },

    /** Every message of a mailbox carrying any of these Message-IDs, earliest stored first (the dedupe's candidates). */
    async findCopies(
      accountId: string,
      mailboxKey: string,
      messageIds: readonly string[],
    ): Promise<MessageRecord[]> {
      return Message.find({
        account_id: accountId,
        mailbox_id: mailboxKey,
        'email.message_id': { $in: messageIds.map(bareMessageId) },
      })
        .sort(EARLIEST_FIRST)
        .lean<MessageRecord[]>()
        .exec();
    },

    /**
     * Messages of the account carrying any of these Message-IDs (threading by
     * In-Reply-To/References), earliest stored first: where an id was reused,
     * or the same mail reached two mailboxes, the first stored wins.
     */
    async findByEmailMessageIds(
      accountId: string,
      messageIds: readonly string[],
    ): Promise<MessageRecord[]> {
      if (messageIds.length === 0) return [];
      const ids = messageIds.map(bareMessageId);
      return Message.find({ account_id: accountId, 'email.message_id': { $in: ids } })
        .sort(EARLIEST_FIRST)
        .lean<MessageRecord[]>()
        .exec();
    },

    /**
     * Store a message that is not (yet) in the timeline: a draft, a scheduled
     * message... It carries no sequence. A duplicate `client_message_id` in the
     * conversation throws E11000 (`UNIQUE_INDEX.messageClientId`).
     */
    async insert(input: NewMessage): Promise<MessageRecord> {
      if ((input.status ?? 'draft') === 'sent') {
        throw new Error('sent messages need a sequence: use appendSent()');
      }
      const created = await Message.create({ ...prepare(input), status: input.status ?? 'draft' });
      return created.toObject<MessageRecord>();
    },

    /**
     * Store a message as `sent` with the conversation's next sequence and make
     * it the conversation's last message. Gap-free without transactions: the
     * sequence is the highest stored one + 1 and the unique index
     * {conversation_id, sequence} arbitrates races (the loser retries with a
     * fresh read), so no number is taken unless its message exists. Other
     * E11000s (the inbound dedupe index, client_message_id) are rethrown.
     * Appends to one conversation queue up within this process, so only other
     * processes can make an attempt lose.
     */
    async appendSent(input: NewMessage): Promise<MessageRecord> {
      return sequenceLock(input.conversation_id, () => appendWithRetry(prepare(input)));
    },
  };

  async function appendWithRetry(doc: Record<string, unknown>): Promise<MessageRecord> {
    for (let attempt = 1; ; attempt++) {
      const sequence = await nextSequence(Message, String(doc.conversation_id));
      try {
        const created = await Message.create({ ...doc, status: 'sent', sequence });
        const message = created.toObject<MessageRecord>();
        await markLastMessage(message, sequence);
        return message;
      } catch (error) {
        const raced = isDuplicateKeyError(error, UNIQUE_INDEX.messageSequence);
        if (!raced || attempt >= MAX_SEQUENCE_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Denormalised "last message" on the conversation, moved only forward
   * (conditional on last_sequence), so concurrent appends settle on the highest.
   * If the process dies before this, the message is still in the timeline; the
   * next append repairs the pointer.
   */
  async function markLastMessage(message: MessageRecord, sequence: number): Promise<void> {
    await Conversation.updateOne(
      {
        _id: message.conversation_id,
        account_id: message.account_id,
        last_sequence: { $lt: sequence },
      },
      {
        $set: {
          last_sequence: sequence,
          last_message_id: message._id,
          last_message_at: message.created_at,
        },
      },
    ).exec();
  }
}

function bareIds(email: NewEmailMeta): NewEmailMeta {
  const { message_id, in_reply_to, references } = email;
  return {
    ...email,
    ...(message_id ? { message_id: bareMessageId(message_id) } : {}),
    ...(in_reply_to ? { in_reply_to: bareMessageId(in_reply_to) } : {}),
    ...(references ? { references: references.map(bareMessageId) } : {}),
  };
}
