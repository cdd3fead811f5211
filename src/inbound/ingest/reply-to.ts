// Which stored message an inbound reply answers: the one its In-Reply-To
// names, else the latest its References name (they run oldest to newest).
// Only a message of the case the reply was filed in counts: a Message-ID from
// another case (or a forged one) links nothing. Pure.
import type { ParsedEmail } from '../../mail/parse/index.ts';
import type { MessageRecord } from '../../store/index.ts';

export function repliedMessageId(
  email: Pick<ParsedEmail, 'in_reply_to' | 'references'>,
  /** The stored messages the reply's ids matched (threadingMessages). */
  known: readonly MessageRecord[],
  conversationId: string,
): string | null {
  const inCase = new Map<string, string>();
  for (const message of known) {
    const id = message.email?.message_id;
    if (id && message.conversation_id === conversationId && !inCase.has(id)) {
      inCase.set(id, message._id);
    }
  }
  const candidates = [
    ...(email.in_reply_to ? [email.in_reply_to] : []),
    ...[...email.references].reverse(),
  ];
  for (const id of candidates) {
    const found = inCase.get(id);
    if (found) return found;
  }
  return null;
}
