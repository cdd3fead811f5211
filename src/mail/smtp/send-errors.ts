// Errors the adapter raises itself, shaped like nodemailer's (code,
// responseCode, response, command) so delivery/classify.ts reads one shape.

export class RecipientsRejectedError extends Error {
  override readonly name = 'RecipientsRejectedError';
  readonly code = 'EENVELOPE';
  readonly command = 'RCPT TO';
  readonly responseCode: number | undefined;
  readonly response: string | undefined;
  /** Some recipients took the message: a retry would reach them twice. */
  readonly partial: boolean;

  constructor(
    readonly rejected: string[],
    accepted: string[],
    first: { responseCode?: number | undefined; response?: string | undefined } | undefined,
  ) {
    super(`recipient${rejected.length === 1 ? '' : 's'} refused: ${rejected.join(', ')}`);
    this.responseCode = first?.responseCode;
    this.response = first?.response;
    this.partial = accepted.length > 0;
  }
}
