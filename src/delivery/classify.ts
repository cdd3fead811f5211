// Delivery failures, classified transient (retry after a backoff) or
// permanent (fail now, tell a human). Pure: no I/O, no nodemailer; the
// outcome of a send is read from the fields SMTP clients put on their errors
// (EmailEngine's lib/delivery-error.js is the model).
//
// Decisions worth knowing:
// - Any 4xx reply, any network or timeout error: transient (RFC 5321 4yz).
// - 5xx: permanent, except 503 (bad sequence: the session was confused, not
//   the message refused) and the authentication replies (530, 534, 535, 538).
// - Authentication failures are transient on purpose: a wrong or rotated
//   password is an operator problem, fixed in the config, after which the
//   queued mail goes out by itself; max_attempts still bounds the wait.
// - Some recipients refused while others took the message: permanent, since
//   a retry would send a second copy to everyone who already got it.
// - Anything unrecognised: transient. A retry costs one attempt; a wrong
//   "permanent" loses the customer's reply.

type DeliveryFailureKind = 'transient' | 'permanent';

export const FAILURE_REASONS = [
  /** A 4xx reply (or enhanced status 4.x.x). */
  'smtp_transient',
  /** A 5xx reply to the message or the sender. */
  'smtp_permanent',
  /** Every recipient refused with a 5xx. */
  'recipient_rejected',
  /** Some recipients refused, the others accepted the message. */
  'partial_recipients',
  /** 503: commands out of sequence; a new session may succeed. */
  'protocol',
  /** Wrong or missing credentials (EAUTH, 530/534/535/538). */
  'auth',
  /** Connecting, DNS, TLS, resets, a connection closed mid-transaction. */
  'network',
  /** Connection, greeting or socket timeout, or our own send deadline. */
  'timeout',
  /** The message itself cannot be sent (no or invalid recipients, too large). */
  'invalid_message',
  /** The local outbox folder could not be written (disk full, permissions). */
  'local',
  'unknown',
] as const;
type FailureReason = (typeof FAILURE_REASONS)[number];

// Keyed by the union: a new reason is a compile error until it has a kind.
const KIND_OF: Record<FailureReason, DeliveryFailureKind> = {
  smtp_transient: 'transient',
  smtp_permanent: 'permanent',
  recipient_rejected: 'permanent',
  partial_recipients: 'permanent',
  protocol: 'transient',
  auth: 'transient',
  network: 'transient',
  timeout: 'transient',
  invalid_message: 'permanent',
  local: 'transient',
  unknown: 'transient',
};

/** What a failed send reported, as SMTP clients (nodemailer) put it on their errors. */
export interface SendFailure {
  message: string;
  /** ESOCKET, ETIMEDOUT, EAUTH, EENVELOPE, ECONNREFUSED, ENOSPC... */
  code?: string | null;
  /** The system error under a client's own code (ECONNREFUSED under ESOCKET). */
  originalCode?: string | null;
  responseCode?: number | null;
  /** The server's reply line(s). */
  response?: string | null;
  /** The SMTP command that failed (MAIL FROM, RCPT TO, DATA...). */
  command?: string | null;
  /** Set when some recipients were refused and others accepted the message. */
  partial?: boolean;
}

export interface DeliveryVerdict {
  kind: DeliveryFailureKind;
  reason: FailureReason;
  /** The reply code ("550") when the server gave one, else the error code ("ECONNREFUSED"). */
  code: string;
  response: string | null;
}

const AUTH_CODES = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2']);
const AUTH_REPLIES = new Set([530, 534, 535, 538]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ETIME', 'ESOCKETTIMEDOUT', 'ABORT_ERR', 'EABORT']);
const NETWORK_CODES = new Set([
  'ECONNECTION',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROXY',
  'EPROTOCOL',
  'EMAXLIMIT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);
const MESSAGE_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS']);
const LOCAL_CODES = new Set([
  'ENOSPC',
  'EDQUOT',
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EMFILE',
  'ENFILE',
  'EBUSY',
  'EIO',
  'EEXIST',
]);
const TIMEOUT_TEXT = /greeting never received|timed? ?out/i;
const REPLY_CODE = /^\s*([2-5]\d\d)[\s-]/;
// RFC 3463 enhanced status: class.subject.detail, e.g. 5.1.1.
const ENHANCED = /(?:^|\s)([245])\.\d{1,3}\.\d{1,3}(?:\s|$)/;

export function classifyDeliveryFailure(failure: SendFailure): DeliveryVerdict {
  const reply = replyCodeOf(failure);
  const reason = reasonOf(failure, reply);
  return {
    kind: KIND_OF[reason],
    reason,
    code: reply !== null ? String(reply) : (failure.originalCode ?? failure.code ?? 'unknown'),
    response: failure.response ?? null,
  };
}

function reasonOf(failure: SendFailure, reply: number | null): FailureReason {
  const codes = [failure.code, failure.originalCode].filter((c): c is string => Boolean(c));
  if (failure.partial) return 'partial_recipients';
  if (codes.some((c) => AUTH_CODES.has(c)) || (reply !== null && AUTH_REPLIES.has(reply))) {
    return 'auth';
  }
  if (reply !== null && reply >= 400) {
    if (reply < 500) return 'smtp_transient';
    if (reply === 503) return 'protocol';
    return isRecipientStage(failure) ? 'recipient_rejected' : 'smtp_permanent';
  }
  const enhanced = ENHANCED.exec(failure.response ?? '')?.[1];
  if (enhanced === '4') return 'smtp_transient';
  if (enhanced === '5') return isRecipientStage(failure) ? 'recipient_rejected' : 'smtp_permanent';
  if (codes.some((c) => TIMEOUT_CODES.has(c)) || TIMEOUT_TEXT.test(failure.message)) {
    return 'timeout';
  }
  if (codes.some((c) => NETWORK_CODES.has(c))) return 'network';
  if (codes.some((c) => MESSAGE_CODES.has(c))) return 'invalid_message';
  if (codes.some((c) => LOCAL_CODES.has(c))) return 'local';
  return 'unknown';
}

function isRecipientStage(failure: SendFailure): boolean {
  return /^RCPT/i.test(failure.command ?? '');
}

/** The numeric reply code, from the field or the start of the reply text. */
function replyCodeOf(failure: SendFailure): number | null {
  const code = failure.responseCode;
  if (typeof code === 'number' && code >= 200 && code < 600) return code;
  const match = REPLY_CODE.exec(failure.response ?? '');
  return match ? Number(match[1]) : null;
}

/** Read a SendFailure off anything a transport threw (an Error with extra fields, or not). */
export function toSendFailure(error: unknown): SendFailure {
  if (!error || typeof error !== 'object') return { message: String(error) };
  const fields = error as Record<string, unknown>;
  const text = (key: string): string | null =>
    typeof fields[key] === 'string' ? (fields[key] as string) : null;
  return {
    message: text('message') ?? 'unknown error',
    code: text('code'),
    originalCode: text('originalCode'),
    responseCode: typeof fields.responseCode === 'number' ? fields.responseCode : null,
    response: text('response'),
    command: text('command'),
    partial: fields.partial === true,
  };
}
