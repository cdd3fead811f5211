// The MIME body walk, done by mailparser's streaming MailParser (not
// simpleParser, which buffers every attachment in memory). Attachment content
// goes straight from the parser into the sink; the parser waits for each
// attachment to be stored before it reads on, so at most one attachment is in
// flight and memory stays flat whatever the attachment sizes.
//
// Failure policy: a parser error is recorded and the result carries what was
// read before it; only a sink rejection (a storage failure) rejects, so that
// the ingest job retries instead of storing a message without its files.
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { MailParser } from 'mailparser';
import type { AttachmentStream, MessageText } from 'mailparser';
import { cleanFilename, generatedFilename, kindOf } from './attachment-names.ts';
import { ContentTap } from './content-tap.ts';
import type { AttachmentKind, AttachmentMeta, AttachmentSink, StoredAttachment } from './types.ts';

export interface StreamedAttachment {
  meta: AttachmentMeta;
  stored: StoredAttachment;
  /** sha256 (hex) of the content as it passed to the sink. */
  sha256: string;
  truncated: boolean;
  /** The first bytes of a report part (DSN, returned headers), else null. */
  head: Buffer | null;
}

export interface MimeResult {
  text: string | null;
  html: string | null;
  attachments: StreamedAttachment[];
  error: string | null;
}

// Parts a bounce is read from (RFC 3464, RFC 6522, RFC 6533). Their heads are
// kept; the report fields and the returned headers sit in the first kilobytes.
const REPORT_PARTS = new Set([
  'message/delivery-status',
  'message/global-delivery-status',
  'message/rfc822',
  'message/global',
  'text/rfc822-headers',
  'message/global-headers',
]);
const REPORT_CAPTURE_BYTES = 64 * 1024;
// html-to-text is linear but not cheap; beyond this mailparser leaves the text
// empty and build-record.ts derives it with a plain tag strip instead.
const MAX_HTML_TO_TEXT_CHARS = 5 * 1024 * 1024;

export function runMailParser(
  raw: Buffer,
  sink: AttachmentSink,
  options: { maxHeaderBytes: number },
): Promise<MimeResult> {
  return new Promise<MimeResult>((resolve, reject) => {
    const attachments: StreamedAttachment[] = [];
    const pending: Promise<void>[] = [];
    const generated: Record<AttachmentKind, number> = { image: 0, file: 0 };
    let text: MessageText | null = null;
    let error: string | null = null;
    let settled = false;
    let failed = false;
    let inFlight: { source: Readable; tap: ContentTap; cut: boolean } | null = null;
    let parser: MailParser | null = null;

    const settle = (): void => {
      if (settled) return;
      settled = true;
      Promise.all(pending).then(() => {
        if (failed) parser?.destroy();
        resolve({
          text: text?.text ?? null,
          html: text?.html ?? null,
          attachments,
          error,
        });
      }, reject);
    };

    const fail = (reason: unknown): void => {
      if (failed) return;
      failed = true;
      error ??= reason instanceof Error ? reason.message : String(reason);
      // The attachment being read will never end now: end it here, so that
      // the sink stores what arrived and its promise settles.
      if (inFlight) {
        const { source, tap } = inFlight;
        inFlight.cut = true;
        source.unpipe(tap);
        // Keep what the parser had already decoded and buffered.
        for (let chunk: unknown = source.read(); chunk !== null; chunk = source.read()) {
          tap.write(chunk);
        }
        tap.end();
      }
      settle();
    };

    const onAttachment = (attachment: AttachmentStream): void => {
      if (failed || settled) {
        attachment.content.resume();
        return;
      }
      const contentType = (attachment.contentType || 'application/octet-stream').toLowerCase();
      const kind = kindOf(contentType);
      const meta: AttachmentMeta = {
        index: attachments.length + 1,
        filename:
          cleanFilename(attachment.filename) || generatedFilename(contentType, ++generated[kind]),
        content_type: contentType,
        kind,
        content_id: attachment.cid?.trim() || null,
        disposition: dispositionOf(attachment.contentDisposition),
        part_id: attachment.partId,
      };
      const tap = new ContentTap(REPORT_PARTS.has(contentType) ? REPORT_CAPTURE_BYTES : 0);
      const flight = { source: attachment.content, tap, cut: false };
      inFlight = flight;
      attachment.content.once('error', (err: Error) => fail(err));
      attachment.content.pipe(tap);

      const stored = Promise.resolve()
        .then(() => sink.store(meta, tap))
        .then(async (receipt) => {
          // A sink that resolved without reading everything must not stall
          // the parser: drain the rest so the content can finish.
          tap.resume();
          await finished(tap, { readable: false });
          attachments.push({
            meta,
            stored: receipt,
            sha256: tap.checksum(),
            truncated: flight.cut,
            head: REPORT_PARTS.has(contentType) ? tap.head() : null,
          });
          if (inFlight === flight) inFlight = null;
          if (!failed) attachment.release?.();
        });
      // A sink failure is the one error that propagates: stop parsing.
      pending.push(
        stored.catch((err: unknown) => {
          tap.destroy();
          attachment.content.resume();
          failed = true;
          parser?.destroy();
          settle();
          throw err;
        }),
      );
    };

    try {
      const mailParser = new MailParser({
        // Every embedded message/rfc822 stays an attachment (a forwarded mail
        // is a file to the agent; a bounce's returned message is read from its head).
        ignoreEmbedded: true,
        // Delivery-status parts become attachments too, so their fields are
        // read as data and kept out of the bounce's human-readable text.
        keepDeliveryStatus: true,
        checksumAlgo: false, // hashed in ContentTap, once
        skipTextToHtml: true,
        skipImageLinks: true,
        maxHtmlLengthToParse: MAX_HTML_TO_TEXT_CHARS,
        maxHeadSize: options.maxHeaderBytes,
      });
      parser = mailParser;
      mailParser.on('data', (data: AttachmentStream | MessageText) => {
        if (data.type === 'attachment') onAttachment(data);
        else text = data;
      });
      mailParser.on('error', fail);
      mailParser.on('end', settle);
      feed(mailParser, raw);
    } catch (err) {
      fail(err);
    }
  });
}

// mailparser's input stage joins small chunks but never splits a large one,
// so a message written in one piece would reach the sink as one decoded
// chunk the size of the attachment. Writing slices (with backpressure) keeps
// every stage at chunk size.
const INPUT_SLICE_BYTES = 64 * 1024;

function feed(parser: MailParser, raw: Buffer): void {
  let offset = 0;
  const writeMore = (): void => {
    while (offset < raw.length) {
      const slice = raw.subarray(offset, offset + INPUT_SLICE_BYTES);
      offset += slice.length;
      if (!parser.write(slice)) {
        parser.once('drain', writeMore);
        return;
      }
    }
    parser.end();
  };
  writeMore();
}

function dispositionOf(value: string | undefined): AttachmentMeta['disposition'] {
  const normalized = value?.trim().toLowerCase();
  return normalized === 'inline' || normalized === 'attachment' ? normalized : null;
}
