// A stable identity for the content of a message: what a person would call
// "the same message" (sender, recipients, date, subject, text, HTML, the
// attachments' names and content), ignoring transport noise such as Received
// headers, which differ between two deliveries of one message. It names a
// message that has no Message-ID (syntheticMessageId), and tells a true
// re-delivery of a Message-ID from a different mail reusing it (the ingest's
// dedupe, conversations/dedupe.ts).
import { createHash } from 'node:crypto';
import { firstValue, readHeaderBlock } from './header-block.ts';
import { prepareRaw } from './prepare-raw.ts';
import type { ParsedAttachment, ParsedEmail } from './types.ts';

export type HashInput = Pick<ParsedEmail, 'from' | 'to' | 'cc' | 'date' | 'subject' | 'text'> & {
  /** Absent or null: no HTML part. */
  html?: string | null;
  /**
   * Two scans sent from a copier in the same minute carry the same headers and
   * (empty) text: only their files tell them apart.
   */
  attachments?: ReadonlyArray<Pick<ParsedAttachment, 'checksum'> & { filename?: string }>;
};

// Only the Date header is re-read from the raw message; it sits in the first
// few kilobytes.
const DATE_SCAN_BYTES = 64 * 1024;

/** sha256 (hex) over the significant parts of a message. */
export function significantHash(parsed: HashInput, raw: Buffer): string {
  // The HTML and the attachments' names count since the shared corpus showed
  // different mails without a Message-ID that agree on everything else: an
  // extra HTML part, a renamed attachment (see the README's dedupe section).
  return hashParts(
    [
      ...commonParts(parsed, raw),
      normalizeText(parsed.html ?? ''),
      (parsed.attachments ?? []).map((a) => `${a.filename ?? ''}\u0001${a.checksum}`).join(','),
    ],
    raw,
  );
}

/** The id used in place of a missing Message-ID: postroom-<hash32>@no-message-id.invalid. */
export function syntheticMessageId(parsed: HashInput, raw: Buffer): string {
  return synthetic(significantHash(parsed, raw));
}

/**
 * The synthetic id earlier versions gave the same message (no HTML, no attachment names):
 * messages stored under it still count as copies of a mail that arrives again.
 */
export function legacySyntheticMessageId(parsed: HashInput, raw: Buffer): string {
  return synthetic(
    hashParts(
      [...commonParts(parsed, raw), (parsed.attachments ?? []).map((a) => a.checksum).join(',')],
      raw,
    ),
  );
}

function synthetic(hash: string): string {
  // .invalid is reserved (RFC 2606), so this can never collide with a real id.
  return `postroom-${hash.slice(0, 32)}@no-message-id.invalid`;
}

function commonParts(parsed: HashInput, raw: Buffer): string[] {
  return [
    parsed.from ? parsed.from.address.toLowerCase() : '',
    parsed.to.map((a) => a.address.toLowerCase()).join(','),
    parsed.cc.map((a) => a.address.toLowerCase()).join(','),
    // An unparseable Date is still distinctive: use its raw text.
    parsed.date ? parsed.date.toISOString() : rawDate(raw),
    normalizeText(parsed.subject),
    normalizeText(parsed.text),
  ];
}

function hashParts(parts: readonly string[], raw: Buffer): string {
  const hash = createHash('sha256');
  if (parts.every((part) => part === '')) {
    // Nothing recognisable was parsed: only the bytes themselves identify it.
    hash.update('raw\0');
    hash.update(normalizeText(raw.toString('latin1')));
  } else {
    for (const part of parts) hash.update(`${part.length}:${part}\0`);
  }
  return hash.digest('hex');
}

// Line endings and surrounding whitespace change when a message passes
// through different stores (IMAP servers, drop folders, editors).
function normalizeText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .trim();
}

function rawDate(raw: Buffer): string {
  const block = readHeaderBlock(prepareRaw(raw.subarray(0, DATE_SCAN_BYTES)), DATE_SCAN_BYTES);
  return (firstValue(block.fields, 'date') ?? '').replace(/\s+/g, ' ').trim();
}
