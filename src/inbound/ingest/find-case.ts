// Look up the keys threading needs and decide which case an email belongs to
// (rules in conversations/threading.ts). A bounce goes to the case of the
// message that bounced, before anything else.
import {
  decideThread,
  referencedIds,
  type ThreadingDecision,
} from '../../conversations/threading.ts';
import type { ParsedEmail } from '../../mail/parse/index.ts';
import type { MessageRecord, Store } from '../../store/index.ts';

/**
 * The stored messages threading looks at (the replied-to, referenced and
 * bounced Message-IDs), read once: the parent check and findCase share them.
 */
export async function threadingMessages(
  store: Store,
  accountId: string,
  email: ParsedEmail,
): Promise<MessageRecord[]> {
  return store.messages.findByEmailMessageIds(accountId, threadingIds(email));
}

function threadingIds(email: ParsedEmail): string[] {
  const ids = referencedIds(email);
  const bounced = email.bounce?.original_message_id;
  if (bounced && !ids.includes(bounced)) ids.unshift(bounced);
  return ids;
}

/**
 * `known`: what threadingMessages() found for this email, earliest stored first: an id
 * carried by several stored messages (reused by different mails, or one mail in two
 * mailboxes) threads to the case of the earliest.
 */
export async function findCase(
  store: Store,
  accountId: string,
  email: ParsedEmail,
  known: readonly MessageRecord[],
): Promise<ThreadingDecision> {
  const bounced = email.bounce?.original_message_id;
  const byMessageId = new Map<string, string>();
  for (const message of known) {
    const id = message.email?.message_id;
    if (id && !byMessageId.has(id)) byMessageId.set(id, message.conversation_id);
  }
  if (bounced && byMessageId.has(bounced)) {
    return {
      kind: 'existing',
      conversation_id: byMessageId.get(bounced) as string,
      matched_by: 'references',
    };
  }

  const { plus_token, case_number } = email.reply_tokens;
  const byToken = plus_token
    ? await store.conversations.findByReplyToken(accountId, plus_token)
    : null;
  // "[#123]" in a subject is easy to type: it only threads mail from someone
  // already on that case, so a stranger cannot post into another customer's case.
  let byCaseNumber: string | null = null;
  if (case_number !== null && email.from) {
    const found = await store.inbound.findByCaseNumber(accountId, case_number);
    const sender = email.from.address.toLowerCase();
    if (found?.participants.some((p) => p.customer?.address === sender)) byCaseNumber = found._id;
  }
  return decideThread(
    { in_reply_to: email.in_reply_to, references: email.references, plus_token, case_number },
    { byMessageId, byPlusToken: byToken?._id ?? null, byCaseNumber },
  );
}
