// Which conversation an inbound email belongs to, in the order of DESIGN.md:
// 1. In-Reply-To, then References (newest first), matching a known message of
//    the account, inbound or one we sent;
// 2. a reply token: support+<token>@ in a recipient, or [#<case_number>] in the subject;
// 3. otherwise a new conversation.
// Pure: the caller looks the keys up and passes what it found.

export interface ThreadingInput {
  in_reply_to: string | null;
  references: readonly string[];
  plus_token: string | null;
  case_number: number | null;
}

/** Message ids to look up, most specific first, without duplicates. */
export function referencedIds(input: Pick<ThreadingInput, 'in_reply_to' | 'references'>): string[] {
  const ids: string[] = [];
  const add = (id: string | null | undefined): void => {
    if (id && !ids.includes(id)) ids.push(id);
  };
  add(input.in_reply_to);
  // The last reference is the direct parent; earlier ones are ancestors.
  for (let i = input.references.length - 1; i >= 0; i -= 1) add(input.references[i]);
  return ids;
}

export interface ThreadingLookups {
  /** Conversation ids of known messages, keyed by message id. */
  byMessageId: ReadonlyMap<string, string>;
  byPlusToken: string | null;
  byCaseNumber: string | null;
}

export type ThreadingDecision =
  | {
      kind: 'existing';
      conversation_id: string;
      matched_by: 'in_reply_to' | 'references' | 'reply_token' | 'case_number';
    }
  | { kind: 'new' };

export function decideThread(input: ThreadingInput, found: ThreadingLookups): ThreadingDecision {
  for (const id of referencedIds(input)) {
    const conversation = found.byMessageId.get(id);
    if (conversation) {
      return {
        kind: 'existing',
        conversation_id: conversation,
        matched_by: id === input.in_reply_to ? 'in_reply_to' : 'references',
      };
    }
  }
  if (found.byPlusToken)
    return { kind: 'existing', conversation_id: found.byPlusToken, matched_by: 'reply_token' };
  if (found.byCaseNumber)
    return { kind: 'existing', conversation_id: found.byCaseNumber, matched_by: 'case_number' };
  return { kind: 'new' };
}
