// Message bodies of any size. A MongoDB document holds at most 16 MiB, and an
// inbound message carries its text three times (body, html, text_new): each is
// kept inline up to INLINE_BODY_BYTES, and a text or HTML body larger than that
// is stored whole in GridFS, the message keeping its first bytes and a reference.
//
// 1 MiB per field: the three together stay under 3 MiB, leaving the document
// far from 16 MiB whatever its addresses and attachment list hold; and 1 MiB of
// text is more than any agent's model context takes (agents read the inline text).
import { Readable } from 'node:stream';
import type { ParsedEmail } from '../../mail/parse/index.ts';
import type { BodyFile, BodyFiles, MailboxRecord, Store } from '../../store/index.ts';

const INLINE_BODY_BYTES = 1024 * 1024;

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never half a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  // Every UTF-16 unit is at least one UTF-8 byte: the first maxBytes units hold the answer.
  if (text.length <= maxBytes && Buffer.byteLength(text) <= maxBytes) return text;
  let candidate = text.slice(0, maxBytes);
  if (isHighSurrogate(candidate.charCodeAt(candidate.length - 1)))
    candidate = candidate.slice(0, -1);
  const encoded = Buffer.from(candidate, 'utf8');
  if (encoded.length <= maxBytes) return candidate;
  let end = maxBytes;
  // A continuation byte (10xxxxxx) at the cut means a character straddles it: cut before it.
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end--;
  return encoded.subarray(0, end).toString('utf8');
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

// 64 Ki UTF-16 units per chunk: the text is encoded piece by piece on its way to
// GridFS, never as one more buffer the size of the body.
const CHUNK_UNITS = 64 * 1024;

/** `text` as UTF-8 chunks, split between characters (a surrogate pair stays whole). */
export function* utf8Chunks(text: string): Generator<Buffer> {
  for (let start = 0; start < text.length;) {
    let end = Math.min(start + CHUNK_UNITS, text.length);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
    yield Buffer.from(text.slice(start, end), 'utf8');
    start = end;
  }
}

export interface StoredBodies {
  body: string;
  html: string | null;
  text_new: string;
  /** null when everything fits inline. */
  body_files: BodyFiles | null;
  /** GridFS ids written, for the caller's cleanup should the message not be stored. */
  created: string[];
}

/** The bodies to store on the message, the large ones written to GridFS first. */
export async function storeBodies(
  store: Store,
  mailbox: MailboxRecord,
  email: Pick<ParsedEmail, 'text' | 'html' | 'text_new'>,
  messageId: string,
): Promise<StoredBodies> {
  const created: string[] = [];
  const spill = async (content: string, kind: 'text' | 'html'): Promise<BodyFile | null> => {
    if (Buffer.byteLength(content) <= INLINE_BODY_BYTES) return null;
    const file = await store.files.put(
      `${messageId}.${kind === 'html' ? 'html' : 'txt'}`,
      Readable.from(utf8Chunks(content)),
      {
        account_id: mailbox.account_id,
        purpose: 'body',
        content_type: `text/${kind === 'html' ? 'html' : 'plain'}; charset=utf-8`,
        mailbox_id: mailbox.key,
      },
    );
    created.push(file.id);
    return { gridfs_id: file.id, size_bytes: file.size_bytes, checksum: file.checksum };
  };
  const text = await spill(email.text, 'text');
  const html = email.html === null ? null : await spill(email.html, 'html');
  return {
    body: truncateUtf8(email.text, INLINE_BODY_BYTES),
    html: email.html === null ? null : truncateUtf8(email.html, INLINE_BODY_BYTES),
    text_new: truncateUtf8(email.text_new, INLINE_BODY_BYTES),
    body_files: text || html ? { text, html } : null,
    created,
  };
}
