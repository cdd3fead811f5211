// "Is this address ours?": any mailbox address of the account, or one of its
// aliases, compared case-insensitively and without a plus tag
// (support+anything@ is support@). Mail from such an address is our own and
// never opens a case or wakes an agent (inbound/ingest); delivery never sends
// to one (delivery/deliver-message.ts), so a reply cannot loop back into
// Postroom. Pure: the callers pass the account's mailboxes.

export interface OwnMailbox {
  /** The mailbox's config id. */
  key: string;
  address: string;
  aliases?: readonly string[];
}

/** Which configured address an address matched, and of which mailbox. */
export interface OwnAddressMatch {
  mailbox: string;
  /** The address as configured (the mailbox's address or one of its aliases). */
  configured: string;
  kind: 'address' | 'alias';
}

/** The account's own addresses, by canonical form. */
export type OwnAddressBook = ReadonlyMap<string, OwnAddressMatch>;

/**
 * The form addresses are compared in: trimmed, lower-cased, the local part's
 * `+tag` dropped. Local parts are case-sensitive in theory only: no mail
 * system a support team uses tells Support@ from support@.
 */
export function canonicalAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at <= 0) return lower;
  const local = lower.slice(0, at);
  const plus = local.indexOf('+');
  // "+tag@" with nothing before the plus is a local part of its own, not a tag.
  return plus > 0 ? `${local.slice(0, plus)}${lower.slice(at)}` : lower;
}

export function ownAddressBook(mailboxes: readonly OwnMailbox[]): OwnAddressBook {
  const book = new Map<string, OwnAddressMatch>();
  for (const mailbox of mailboxes) {
    const add = (configured: string, kind: OwnAddressMatch['kind']): void => {
      const key = canonicalAddress(configured);
      if (!book.has(key)) book.set(key, { mailbox: mailbox.key, configured, kind });
    };
    add(mailbox.address, 'address');
    for (const alias of mailbox.aliases ?? []) add(alias, 'alias');
  }
  return book;
}

/** The own address `address` is, or null when it is someone else's (or absent). */
export function matchOwnAddress(
  address: string | null | undefined,
  book: OwnAddressBook,
): OwnAddressMatch | null {
  if (!address) return null;
  return book.get(canonicalAddress(address)) ?? null;
}

/** Why mail from an own address was kept out of the cases, for the failure record and logs. */
export function ownSenderReason(address: string, match: OwnAddressMatch): string {
  const what =
    match.kind === 'alias'
      ? `an alias of mailbox "${match.mailbox}" (${match.configured})`
      : `the address of mailbox "${match.mailbox}" (${match.configured})`;
  return (
    `own_address: mail from ${address}, ${what}, is our own; it answers no case, so it is ` +
    'quarantined rather than opening one (mail from our own addresses never opens a case)'
  );
}

export interface Recipients<A extends { address: string }> {
  to: A[];
  cc: A[];
  /** The own addresses taken out. */
  dropped: A[];
}

/**
 * The recipients a message may be sent to: own addresses taken out of To and
 * Cc. When To is left empty but Cc is not, Cc moves to To, so the mail still
 * has a primary recipient.
 */
export function withoutOwnAddresses<A extends { address: string }>(
  email: { to: readonly A[]; cc: readonly A[] },
  book: OwnAddressBook,
): Recipients<A> {
  const dropped: A[] = [];
  const keep = (list: readonly A[]): A[] =>
    list.filter((a) => {
      if (!matchOwnAddress(a.address, book)) return true;
      dropped.push(a);
      return false;
    });
  const to = keep(email.to);
  const cc = keep(email.cc);
  return to.length === 0 ? { to: cc, cc: [], dropped } : { to, cc, dropped };
}
