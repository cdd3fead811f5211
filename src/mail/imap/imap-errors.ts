// Sorting the failures of a watcher session into what decides the next step:
// refused credentials wait long (authFailureMs), everything else backs off
// exponentially, and a failing sink is retried on the same connection.
import type { ImapFlowError } from 'imapflow';

/** A sink method (deliver, saveSyncState...) threw: the IMAP side is fine, retry later. */
export class SinkError extends Error {
  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    super(`${operation} failed: ${describeError(cause)}`, { cause });
    this.name = 'SinkError';
  }
}

/** The connection went away while the watcher was waiting or working. */
export class ConnectionLostError extends Error {
  constructor(reason = 'the IMAP connection closed') {
    super(reason);
    this.name = 'ConnectionLostError';
  }
}

export type FailureKind = 'auth' | 'transient';

// A tagged NO to LOGIN is a refusal of the credentials, except when the server
// says it cannot check them right now (RFC 5530 UNAVAILABLE: its auth backend
// is down), which is an outage to back off from like any other.
const TRANSIENT_AUTH_CODES = new Set(['UNAVAILABLE']);

export function classifyFailure(error: unknown): FailureKind {
  const imapError = error as ImapFlowError | undefined;
  if (imapError?.authenticationFailed !== true) return 'transient';
  const code = imapError.serverResponseCode?.toUpperCase();
  return code && TRANSIENT_AUTH_CODES.has(code) ? 'transient' : 'auth';
}

/** One line for status and logs: the server's own words when it gave any. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const imapError = error as ImapFlowError;
  const parts = [error.message];
  if (imapError.serverResponseCode) parts.push(`[${imapError.serverResponseCode}]`);
  const text =
    imapError.responseText ??
    (typeof imapError.response === 'string' ? imapError.response : undefined);
  if (text && !error.message.includes(text)) parts.push(text);
  if (imapError.code && !error.message.includes(imapError.code)) parts.push(`(${imapError.code})`);
  return parts.join(' ');
}
