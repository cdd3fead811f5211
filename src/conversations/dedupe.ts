// Is an inbound mail one we already stored? A Message-ID alone does not say:
// senders reuse them (templates, broken mailers, copy-pasted test mail), and
// keeping one message per id dropped the others silently. So a mail is a
// copy of a stored one when it has the same Message-ID *and* the same content
// hash (mail/parse/significant-hash.ts: sender, recipients, date, subject,
// text, HTML, attachments); the same id with other content is a message of
// its own, flagged `message_id_reused`.
//
// The unique index is on `email.dedupe_key` (per mailbox): the Message-ID for
// the first mail carrying it, `<Message-ID>#<content hash>` for each different
// one after it. Two copies of one mail compute the same key, so concurrent
// workers still end with one stored copy; two different mails racing for the
// plain id are told apart by the loser's re-read (see inbound/ingest).
// Documents stored before the content hash existed (and the mail we send)
// carry no hash: a mail with their Message-ID counts as their copy, as it did
// before. Pure: the caller reads the stored copies.

export interface StoredCopy {
  email: {
    message_id?: string;
    content_hash?: string | null;
  } | null;
}

export interface IncomingMail {
  /** The Message-ID (without brackets), or the synthetic id of a mail without one. */
  message_id: string;
  content_hash: string;
}

export type DedupeDecision<S extends StoredCopy> =
  | { kind: 'duplicate'; of: S }
  | {
      kind: 'new';
      /** What the unique index holds for this message. */
      dedupe_key: string;
      /** Another mail already carries this Message-ID. */
      reused: boolean;
    };

/** The decision to store a mail, and under which key. */
export type NewMailDecision = Extract<DedupeDecision<never>, { kind: 'new' }>;

/**
 * `stored`: the mailbox's messages carrying the incoming Message-ID (and, for a
 * mail without one, its synthetic id from before the hash changed), earliest first.
 */
export function decideDedupe<S extends StoredCopy>(
  incoming: IncomingMail,
  stored: readonly S[],
): DedupeDecision<S> {
  const same = stored.find((s) => s.email?.content_hash === incoming.content_hash);
  if (same) return { kind: 'duplicate', of: same };
  // No hash to compare: the Message-ID decides, as it always did.
  const legacy = stored.find((s) => !s.email?.content_hash);
  if (legacy) return { kind: 'duplicate', of: legacy };
  return stored.length > 0 ? reusedDecision(incoming) : newDecision(incoming);
}

/** A mail whose Message-ID another, different mail already holds. */
export function reusedDecision(incoming: IncomingMail): NewMailDecision {
  return {
    kind: 'new',
    dedupe_key: `${incoming.message_id}#${incoming.content_hash}`,
    reused: true,
  };
}

function newDecision(incoming: IncomingMail): NewMailDecision {
  return { kind: 'new', dedupe_key: incoming.message_id, reused: false };
}
