// The size limit on inbound mail (POSTROOM_MAX_MAIL_BYTES). Every path checks
// it from a size it knows before reading the mail: the IMAP watcher from FETCH
// RFC822.SIZE, the drop-folder watcher from the file's size, the ingest job
// from the stored source's length. A mail over it is quarantined, never parsed.

/** A permanent refusal: retrying cannot make the mail smaller. */
export class MailTooLargeError extends Error {
  override readonly name = 'MailTooLargeError';
  constructor(
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(tooLargeReason(sizeBytes, limitBytes));
  }
}

/** The reason recorded for the team: it names the limit and the setting that raises it. */
export function tooLargeReason(sizeBytes: number, limitBytes: number): string {
  return `the mail is ${sizeBytes} bytes, over the limit of ${limitBytes} bytes (POSTROOM_MAX_MAIL_BYTES)`;
}

export function checkMailSize(sizeBytes: number, limitBytes: number): void {
  if (sizeBytes > limitBytes) throw new MailTooLargeError(sizeBytes, limitBytes);
}
