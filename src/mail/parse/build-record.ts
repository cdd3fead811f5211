// Assembles the ParsedEmail record from the header block (read by our
// tolerant reader) and the body walk (mailparser). Pure: no I/O.
import { parseAddressList } from './addresses.ts';
import { readBounce } from './bounce.ts';
import { parseDate } from './date.ts';
import { allValues, firstValue, type HeaderBlock, type HeaderField } from './header-block.ts';
import { htmlToPlainText } from './html-text.ts';
import { parseMessageId, parseReferences } from './message-ids.ts';
import { decodeWords, parseStructured } from './mime-words.ts';
import { classifyNoise } from './noise.ts';
import { caseNumber, extractReplyToken } from './reply-tokens.ts';
import type { MimeResult, StreamedAttachment } from './run-mailparser.ts';
import { extractNewText } from './text-new.ts';
import type { ParsedAttachment, ParsedEmail, ReplyTokens } from './types.ts';

/** The headers kept on the record: the ones noise handling and delivery care about. */
const SIGNIFICANT_HEADERS = [
  'auto-submitted',
  'precedence',
  'list-id',
  'list-unsubscribe',
  'x-autoreply',
  'x-autorespond',
  'x-auto-response-suppress',
  'return-path',
  'content-type',
  'delivered-to',
  'x-failed-recipients',
] as const;
// Headers that list addresses, so that every occurrence matters.
const LIST_VALUED = new Set(['delivered-to', 'x-failed-recipients']);
const MAX_HEADER_VALUE = 2000;
const MAX_TEXT_NEW_INPUT_CHARS = 2 * 1024 * 1024;
const REPORT_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const RETURNED_TYPES = new Set([
  'message/rfc822',
  'message/global',
  'text/rfc822-headers',
  'message/global-headers',
]);

export interface RecordInput {
  block: HeaderBlock;
  mime: MimeResult;
  maxHeaderBytes: number;
  mailboxAddress: string | undefined;
}

export function buildRecord({
  block,
  mime,
  maxHeaderBytes,
  mailboxAddress,
}: RecordInput): ParsedEmail {
  const fields = block.fields;
  const subject = decodeWords(firstValue(fields, 'subject') ?? '').trim();
  const from = parseAddressList(allValues(fields, 'from'))[0] ?? null;
  const to = parseAddressList(allValues(fields, 'to'));
  const cc = parseAddressList(allValues(fields, 'cc'));
  const contentTypeValue = firstValue(fields, 'content-type');
  const contentType = contentTypeValue === null ? null : parseStructured(contentTypeValue);

  const html = mime.html;
  let text = mime.text ?? '';
  // mailparser derives text from HTML only for HTML-only messages, and gives
  // up on very large HTML; an empty text/plain alternative next to real HTML
  // is common too (some mobile clients). The plain tag strip covers both.
  if (text.trim() === '' && html && html.trim() !== '') text = htmlToPlainText(html);

  const noise = classifyNoise({
    headers: groupFields(fields),
    from,
    content_type: contentType,
    subject,
  });
  const bounce =
    noise.reason === 'bounce'
      ? readBounce({
          deliveryStatus: heads(mime.attachments, REPORT_TYPES).map((h) => h.toString('utf8')),
          returnedHeads: heads(mime.attachments, RETURNED_TYPES),
          text,
          failedRecipients: allValues(fields, 'x-failed-recipients'),
        })
      : null;

  const errors: string[] = [];
  if (block.truncated) errors.push(`header block larger than ${maxHeaderBytes} bytes`);
  if (mime.error) errors.push(mime.error);

  const warnings: string[] = [];
  if (block.nonUtf8)
    warnings.push('8-bit header bytes that are not UTF-8 were read as Windows-1252');
  if (text.includes('\uFFFD') || html?.includes('\uFFFD')) {
    warnings.push('the body holds bytes invalid in its declared charset (shown as U+FFFD)');
  }

  const record: ParsedEmail = {
    message_id: parseMessageId(firstValue(fields, 'message-id')),
    in_reply_to: parseMessageId(firstValue(fields, 'in-reply-to')),
    references: parseReferences(allValues(fields, 'references')),
    subject,
    from,
    to,
    cc,
    reply_to: parseAddressList(allValues(fields, 'reply-to')),
    date: parseDate(firstValue(fields, 'date')),
    text,
    html,
    // A reply's new text is at its top: past this, the walk over a huge body would
    // cost copies of it for lines no one keeps (the stored text_new is cut at 1 MiB).
    text_new: extractNewText(
      text.length > MAX_TEXT_NEW_INPUT_CHARS ? text.slice(0, MAX_TEXT_NEW_INPUT_CHARS) : text,
    ),
    headers: significantHeaders(fields),
    attachments: toParsedAttachments(mime.attachments, html),
    auto_submitted: noise.auto_submitted,
    auto_submitted_reason: noise.reason,
    bounce,
    reply_tokens: replyTokens(fields, to, cc, subject, mailboxAddress),
    parse_error: errors.length > 0 ? errors.join('; ') : null,
  };
  if (warnings.length > 0) record.charset_warnings = warnings;
  return record;
}

function replyTokens(
  fields: readonly HeaderField[],
  to: ParsedEmail['to'],
  cc: ParsedEmail['cc'],
  subject: string,
  mailboxAddress: string | undefined,
): ReplyTokens {
  if (!mailboxAddress) return { plus_token: null, case_number: caseNumber(subject) };
  // Delivered-To / X-Original-To carry the plus address when we were Bcc'd.
  const envelope = parseAddressList([
    ...allValues(fields, 'delivered-to'),
    ...allValues(fields, 'x-original-to'),
  ]);
  const addresses = [...to, ...cc, ...envelope].map((a) => a.address);
  return extractReplyToken(addresses, subject, mailboxAddress);
}

function toParsedAttachments(
  streamed: readonly StreamedAttachment[],
  html: string | null,
): ParsedAttachment[] {
  const referenced = html ? cidReferences(html) : new Set<string>();
  return streamed.map(({ meta, stored, sha256, truncated }) => ({
    id: stored.id,
    kind: meta.kind,
    filename: meta.filename,
    content_type: meta.content_type,
    size_bytes: stored.size_bytes,
    content_id: meta.content_id,
    // Referenced from the HTML and not explicitly an attachment: many mailers
    // send inline images inside multipart/related without any disposition.
    inline:
      meta.content_id !== null &&
      referenced.has(meta.content_id) &&
      meta.disposition !== 'attachment',
    checksum: stored.checksum ?? sha256,
    truncated,
  }));
}

function cidReferences(html: string): Set<string> {
  const cids = new Set<string>();
  for (const match of html.matchAll(/\bcid:([^'"\s)>]{1,256})/gi)) {
    const cid = match[1] ?? '';
    cids.add(cid);
    try {
      cids.add(decodeURIComponent(cid));
    } catch {
      // not percent-encoded after all
    }
  }
  return cids;
}

function heads(attachments: readonly StreamedAttachment[], types: ReadonlySet<string>): Buffer[] {
  return attachments
    .filter((a) => a.head !== null && types.has(a.meta.content_type))
    .map((a) => a.head ?? Buffer.alloc(0));
}

function significantHeaders(fields: readonly HeaderField[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of SIGNIFICANT_HEADERS) {
    const values = allValues(fields, name);
    if (values.length === 0) continue;
    const value = LIST_VALUED.has(name) ? values.join(', ') : (values[0] ?? '');
    const decoded = name === 'content-type' ? value : decodeWords(value);
    headers[name] = decoded.slice(0, MAX_HEADER_VALUE);
  }
  return headers;
}

function groupFields(fields: readonly HeaderField[]): Record<string, string[]> {
  const grouped: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const field of fields) (grouped[field.name] ??= []).push(field.value);
  return grouped;
}
