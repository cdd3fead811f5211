// The headers of an outbound reply, decided once before the first attempt and
// stored on the message, then turned into the adapter's OutboundMail on every
// attempt. Pure: the caller supplies the clock, the random part and the
// messages it looked up.
import { replySubject } from '../mail/reply-subject.ts';
import type { OutboundMail } from '../mail/smtp/types.ts';
import {
  withoutOwnAddresses,
  type OwnAddressBook,
  type Recipients,
} from '../conversations/own-address.ts';
import type {
  ConversationRecord,
  EmailAddress,
  EmailMeta,
  MailboxRecord,
  MessageRecord,
} from '../store/index.ts';
import type { OutboundEmailMeta } from '../store/repositories/delivery.ts';

/**
 * References carried on a reply. Clients thread on the first (the root) and
 * the last few; 20 keeps long cases threaded while the header stays small
 * (the inbound parser keeps 50 because it reads what others send).
 */
export const MAX_REFERENCES = 20;

export interface MetaInput {
  message: MessageRecord;
  conversation: ConversationRecord;
  mailbox: Pick<MailboxRecord, 'address' | 'display_name'>;
  /** The message replied to: reply_to_id's, else the case's newest inbound email. */
  parent: MessageRecord | null;
  now: Date;
  /** Random hex for the Message-ID's unique part. */
  random: string;
}

export function outboundMeta(input: MetaInput): OutboundEmailMeta {
  const { message, conversation, mailbox, parent } = input;
  const thread = threadHeaders(
    parent?.email?.message_id ? parent.email : null,
    conversation.email_thread?.root_message_id ?? null,
  );
  return {
    message_id: `${input.random}.${message._id}@${domainOf(mailbox.address)}`,
    from: { name: mailbox.display_name, address: mailbox.address },
    to: recipients(message, conversation, parent),
    cc: message.email?.cc ?? [],
    subject: subjectOf(message, conversation),
    in_reply_to: thread.in_reply_to,
    references: thread.references,
    date: input.now,
  };
}

/** In-Reply-To the parent; References = root + the parent's chain + the parent, bounded. */
export function threadHeaders(
  parent: { message_id?: string; references: readonly string[] } | null,
  rootId: string | null,
): { in_reply_to: string | null; references: string[] } {
  const chain = [rootId, ...(parent?.references ?? []), parent?.message_id].filter(
    (id): id is string => Boolean(id),
  );
  const unique = [...new Set(chain)];
  const references =
    unique.length > MAX_REFERENCES
      ? [unique[0] as string, ...unique.slice(-(MAX_REFERENCES - 1))]
      : unique;
  return { in_reply_to: parent?.message_id ?? null, references };
}

/**
 * To: what the message already names (set by whoever created it), else the
 * customer the parent came from, else the case's first customer.
 */
export function recipients(
  message: Pick<MessageRecord, 'email'>,
  conversation: Pick<ConversationRecord, 'participants'>,
  parent: Pick<MessageRecord, 'participant_id' | 'email'> | null,
): EmailAddress[] {
  if (message.email?.to.length) return message.email.to;
  const customers = conversation.participants.filter(
    (p) => p.type === 'customer' && p.customer && p.membership !== 'removed',
  );
  const fromAddress = parent?.email?.from?.address.toLowerCase();
  const chosen =
    customers.find((p) => parent?.participant_id && p._id === parent.participant_id) ??
    customers.find((p) => fromAddress && p.customer?.address === fromAddress) ??
    customers.find((p) => p.membership === 'active') ??
    customers[0];
  return chosen?.customer ? [{ name: chosen.customer.name, address: chosen.customer.address }] : [];
}

/**
 * Whom an attempt sends to: the message's recipients without the account's own
 * addresses (a reply to ourselves would come back in as mail, see
 * conversations/own-address.ts), or why it cannot be sent at all.
 */
export function sendTo(
  email: Pick<EmailMeta, 'to' | 'cc'>,
  own: OwnAddressBook,
): Recipients<EmailAddress> | { refused: { code: string; message: string } } {
  const recipients = withoutOwnAddresses(email, own);
  if (recipients.to.length > 0) return recipients;
  if (recipients.dropped.length === 0) {
    return {
      refused: { code: 'no_recipient', message: 'the case has no customer address to send to' },
    };
  }
  const addresses = recipients.dropped.map((a) => a.address).join(', ');
  return {
    refused: {
      code: 'own_address',
      message: `every recipient is an own address of this account (${addresses}): Postroom never mails its own mailboxes`,
    },
  };
}

export function subjectOf(
  message: Pick<MessageRecord, 'subject'>,
  conversation: Pick<ConversationRecord, 'title' | 'email_thread'>,
): string {
  const own = message.subject?.replace(/\s+/gu, ' ').trim();
  if (own) return own;
  return replySubject(conversation.title ?? conversation.email_thread?.subject_normalized);
}

/** support+<token>@acme.test: a reply comes back to the case even without its headers. */
export function replyToAddress(mailboxAddress: string, replyToken: string | null): string | null {
  if (!replyToken) return null;
  const at = mailboxAddress.lastIndexOf('@');
  if (at <= 0) return null;
  return `${mailboxAddress.slice(0, at)}+${replyToken}@${mailboxAddress.slice(at + 1)}`;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase() || 'localhost';
}

/** The adapter's view of a message whose meta is stored (see outboundMeta). */
export function toOutboundMail(
  message: MessageRecord & { email: OutboundEmailMeta },
  replyTo: string | null,
): OutboundMail {
  const { email } = message;
  return {
    messageId: email.message_id,
    date: email.date ?? message.created_at,
    from: email.from ?? { name: null, address: '' },
    to: email.to,
    cc: email.cc,
    replyTo,
    subject: email.subject ?? replySubject(null),
    inReplyTo: email.in_reply_to,
    references: email.references,
    text: message.body ?? '',
  };
}
