// A tolerant reader for the top-level header block. Postroom reads the headers
// it acts on (ids, addresses, date, noise signals) from here rather than from
// mailparser, so that a message whose MIME structure defeats mailparser still
// yields them, and so that the raw values are at hand (mailparser replaces an
// unparseable Date with "now" and turns 8-bit Latin-1 bytes into U+FFFD).

export interface HeaderField {
  /** Lower-case field name. */
  name: string;
  /** Unfolded, trimmed value; raw bytes decoded, RFC 2047 words left as they are. */
  value: string;
}

export interface HeaderBlock {
  fields: HeaderField[];
  /** The block did not end within the byte limit; the fields read so far are kept. */
  truncated: boolean;
  /** Some values held 8-bit bytes that are not UTF-8 and were read as Windows-1252. */
  nonUtf8: boolean;
}

const FIELD = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:(.*)$/s;
const EIGHT_BIT = /[\x80-\xff]/;
// NUL and the other C0 controls but tab carry no meaning in a header value and
// would only travel on into storage and logs.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/g;

const utf8 = new TextDecoder('utf-8', { fatal: true });
// Windows-1252 is what undeclared 8-bit header bytes from Western mailers
// nearly always are. It is Latin-1 but for 0x80-0x9f, mapped here by hand:
// Node 20's TextDecoder('windows-1252') decodes those bytes as Latin-1 C1
// controls (a Node bug), losing the euro sign and the curly quotes.
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

export function readHeaderBlock(raw: Buffer, maxBytes: number): HeaderBlock {
  const limit = Math.min(raw.length, maxBytes);
  // latin1 maps each byte to one char, so byte positions survive and the real
  // charset can be decided per value afterwards.
  const head = raw.subarray(0, limit).toString('latin1');
  const fields: HeaderField[] = [];
  let nonUtf8 = false;
  let current: { name: string; value: string } | null = null;
  let ended = false;

  const flush = (): void => {
    if (!current) return;
    const decoded = decodeBytes(current.value);
    if (decoded.nonUtf8) nonUtf8 = true;
    fields.push({ name: current.name, value: decoded.text.replace(CONTROL, '').trim() });
    current = null;
  };

  let pos = 0;
  while (pos < head.length) {
    const eol = head.indexOf('\n', pos);
    // A last line without its line end is complete only if the input ended.
    if (eol === -1 && limit < raw.length) break;
    const end = eol === -1 ? head.length : eol;
    const line = head.slice(pos, end > pos && head[end - 1] === '\r' ? end - 1 : end);
    pos = end + 1;

    if (line === '') {
      ended = true;
      break;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      // RFC 5322 unfolding; runs of folding whitespace read as one space.
      if (current) current.value += ' ' + line.trim();
      continue;
    }
    const match = FIELD.exec(line);
    flush();
    // A line that is neither a field nor a continuation is garbage: skipped.
    if (match) current = { name: (match[1] ?? '').toLowerCase(), value: match[2] ?? '' };
  }
  flush();

  return { fields, truncated: !ended && limit < raw.length, nonUtf8 };
}

function decodeBytes(latin1: string): { text: string; nonUtf8: boolean } {
  if (!EIGHT_BIT.test(latin1)) return { text: latin1, nonUtf8: false };
  const bytes = Buffer.from(latin1, 'latin1');
  try {
    return { text: utf8.decode(bytes), nonUtf8: false };
  } catch {
    return {
      text: latin1.replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] ?? c),
      nonUtf8: true,
    };
  }
}

/** First value of a field, or null. */
export function firstValue(fields: readonly HeaderField[], name: string): string | null {
  for (const field of fields) if (field.name === name) return field.value;
  return null;
}

/** Every value of a field, in order. */
export function allValues(fields: readonly HeaderField[], name: string): string[] {
  const values: string[] = [];
  for (const field of fields) if (field.name === name) values.push(field.value);
  return values;
}
