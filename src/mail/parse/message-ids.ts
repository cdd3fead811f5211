// Message-ID lists (RFC 5322 3.6.4) read from raw header values. Written here
// rather than taken from mailparser because real headers break the grammar in
// ways that matter for threading: ids run together without spaces
// ("<a@x><b@y>"), In-Reply-To carries a phrase ("Jane's message of ... <id>"),
// ids lack their brackets, or a client folded a long id in the middle.

/** Threading needs only the recent ancestry; a bound keeps runaway chains small. */
export const MAX_REFERENCES = 50;
// RFC 5322 caps a line at 998 octets; a longer "id" is not one.
const MAX_ID_LENGTH = 998;

const BRACKETED = /<([^<>]*)>/g;
const WHITESPACE = /\s+/g;

/** Every message id in a header value, in order, without angle brackets. */
export function parseMessageIds(value: string): string[] {
  const ids: string[] = [];
  for (const match of value.matchAll(BRACKETED)) {
    const id = clean(match[1] ?? '');
    if (id) ids.push(id);
  }
  if (ids.length > 0) return ids;
  // No brackets at all: accept bare tokens that look like ids (have an @).
  for (const token of value.split(/[\s,]+/)) {
    const id = clean(token);
    if (id && id.includes('@')) ids.push(id);
  }
  return ids;
}

/**
 * The id of a Message-ID (or In-Reply-To) header: the first bracketed id, or
 * the whole value when it is a single bare token. Null when there is none.
 */
export function parseMessageId(value: string | null): string | null {
  if (value === null) return null;
  const first = parseMessageIds(value)[0];
  if (first) return first;
  // A single bare token without an @ is still the sender's id for the message.
  const trimmed = value.trim();
  return /\s/.test(trimmed) ? null : clean(trimmed);
}

/** References in order (oldest first), deduplicated, keeping the last MAX_REFERENCES. */
export function parseReferences(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const ids: string[] = [];
  for (const value of values) {
    for (const id of parseMessageIds(value)) {
      if (seen.has(id)) continue;
      seen.add(id);
      ids.push(id);
    }
  }
  return ids.length > MAX_REFERENCES ? ids.slice(-MAX_REFERENCES) : ids;
}

function clean(id: string): string | null {
  // Whitespace inside an id is folding damage, never part of the id.
  const trimmed = id.replace(/^<|>$/g, '').replace(WHITESPACE, '');
  if (!trimmed || trimmed.length > MAX_ID_LENGTH) return null;
  return trimmed;
}
