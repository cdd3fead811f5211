// parseEmail: raw RFC 5322 bytes in, a plain ParsedEmail record out, the
// attachments streamed to a sink on the way.
//
// Contract: bad input never throws. Whatever could be read is returned, with
// parse_error saying what went wrong. Only a sink rejection (storage failure)
// propagates, so the ingest job retries rather than losing the attachments.
import { buildRecord } from './build-record.ts';
import { readHeaderBlock, type HeaderBlock } from './header-block.ts';
import { prepareRaw } from './prepare-raw.ts';
import { runMailParser, type MimeResult } from './run-mailparser.ts';
import type { AttachmentSink, ParseEmailOptions, ParsedEmail } from './types.ts';

/** mailparser's own default for one MIME part's header block. */
const DEFAULT_MAX_HEADER_BYTES = 1024 * 1024;

export async function parseEmail(
  raw: Buffer,
  sink: AttachmentSink,
  options: ParseEmailOptions = {},
): Promise<ParsedEmail> {
  const maxHeaderBytes = positiveOr(options.maxHeaderBytes, DEFAULT_MAX_HEADER_BYTES);
  let prepared = raw;
  let block: HeaderBlock = { fields: [], truncated: false, nonUtf8: false };
  let internalError: string | null = null;
  try {
    prepared = prepareRaw(raw);
    block = readHeaderBlock(prepared, maxHeaderBytes);
  } catch (err) {
    internalError = `header block unreadable: ${messageOf(err)}`;
  }

  // Rejects only when the sink fails: that error is the caller's to retry.
  const mime: MimeResult = await runMailParser(prepared, sink, { maxHeaderBytes });

  try {
    const record = buildRecord({
      block,
      mime,
      maxHeaderBytes,
      mailboxAddress: options.mailboxAddress,
    });
    if (internalError) record.parse_error = joinErrors(internalError, record.parse_error);
    return record;
  } catch (err) {
    // A bug of ours on odd input must not lose the message: return the bare record.
    return emptyRecord(joinErrors(internalError, `record incomplete: ${messageOf(err)}`), mime);
  }
}

function emptyRecord(parseError: string, mime: MimeResult): ParsedEmail {
  return {
    message_id: null,
    in_reply_to: null,
    references: [],
    subject: '',
    from: null,
    to: [],
    cc: [],
    reply_to: [],
    date: null,
    text: mime.text ?? '',
    html: mime.html,
    text_new: mime.text ?? '',
    headers: {},
    attachments: mime.attachments.map(({ meta, stored, sha256, truncated }) => ({
      id: stored.id,
      kind: meta.kind,
      filename: meta.filename,
      content_type: meta.content_type,
      size_bytes: stored.size_bytes,
      content_id: meta.content_id,
      inline: false,
      checksum: stored.checksum ?? sha256,
      truncated,
    })),
    auto_submitted: false,
    auto_submitted_reason: null,
    bounce: null,
    reply_tokens: { plus_token: null, case_number: null },
    parse_error: parseError,
  };
}

function joinErrors(...errors: (string | null)[]): string {
  return errors.filter((e): e is string => e !== null).join('; ');
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}
