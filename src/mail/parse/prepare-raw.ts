// Framing repairs applied before any parsing. Each one fixes a shape seen in
// real mail that makes a MIME parser miss the whole header block, so that the
// message would otherwise arrive as one long header or as a headerless body.

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

// A few blank lines ahead of the headers are a known mailer bug; a long run of
// them is something else, and scanning it is not worth it.
const MAX_LEADING_BLANK_LINES = 20;

/**
 * Returns the message with a UTF-8 BOM, blank lines ahead of the headers and an
 * mbox "From " separator line removed, and bare-CR line ends (classic Mac)
 * turned into LF. Usually a view of `raw` (no copy); a copy only for bare CR.
 */
export function prepareRaw(raw: Buffer): Buffer {
  let start = 0;
  if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) start = 3;

  start = skipLeadingBlankLines(raw, start);

  // An mbox separator ("From user@host Tue Jul 1 ...") has a space, not a
  // colon, after "From"; a real From: header is left alone.
  if (raw.subarray(start, start + 5).toString('latin1') === 'From ') {
    const eol = raw.indexOf(LF, start);
    start = eol === -1 ? raw.length : eol + 1;
  }

  const view = start === 0 ? raw : raw.subarray(start);
  if (view.indexOf(LF) === -1 && view.indexOf(CR) !== -1) {
    const copy = Buffer.from(view);
    for (let i = 0; i < copy.length; i++) if (copy[i] === CR) copy[i] = LF;
    return copy;
  }
  return view;
}

// A header field name: printable ASCII but the colon, then the colon.
const FIELD_START = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

// Blank lines are skipped only when a header field follows them: a message
// that really starts with an empty line is a body without headers (RFC 5322).
function skipLeadingBlankLines(raw: Buffer, from: number): number {
  let pos = from;
  for (let n = 0; n < MAX_LEADING_BLANK_LINES; n++) {
    const eol = raw.indexOf(LF, pos);
    if (eol === -1) break;
    if (!isBlank(raw, pos, eol)) break;
    pos = eol + 1;
  }
  if (pos === from) return from;
  const next = raw.subarray(pos, pos + 200).toString('latin1');
  return FIELD_START.test(next) || next.startsWith('From ') ? pos : from;
}

function isBlank(raw: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = raw[i];
    if (byte !== SPACE && byte !== TAB && byte !== CR) return false;
  }
  return true;
}
