// Noise classification: is this message machine-generated (an auto-reply, a
// bounce, list or bulk mail)? Such mail must never trigger an agent, or two
// auto-responders answer each other forever (RFC 3834 section 1). Pure: it
// looks only at the top-level headers, the sender and the content type.
import type { AutoSubmittedReason, EmailAddress } from './types.ts';

export interface NoiseInput {
  /** Top-level header values by lower-case name, in order. */
  headers: Readonly<Record<string, readonly string[]>>;
  /** The parsed sender, or null. */
  from: EmailAddress | null;
  /** The top-level Content-Type (value lower-cased), or null. */
  content_type: { value: string; params: Readonly<Record<string, string>> } | null;
  subject: string;
}

export interface NoiseVerdict {
  auto_submitted: boolean;
  reason: AutoSubmittedReason | null;
  /** What matched, e.g. "auto-submitted:auto-replied" (for logs and tests). */
  signals: string[];
}

// Local parts that only ever send delivery reports (RFC 5321 4.5.1, common
// MTA practice: Sendmail/Postfix "MAILER-DAEMON", Exchange "postmaster").
const BOUNCE_SENDERS = new Set(['mailer-daemon', 'mailer_daemon', 'postmaster', 'mail-daemon']);
const BOUNCE_SENDER_NAMES = /^(mail delivery (sub)?system|mail administrator)$/i;
// Subjects MTAs put on non-DSN bounces, anchored at the start so a customer's
// "Fwd: Undeliverable: ..." is not one.
const BOUNCE_SUBJECT =
  /^\s*(undeliverable( mail)?\s*:|undelivered mail returned to sender|delivery status notification \((failure|delay)\)|mail delivery failed|returned mail\s*:|failure notice\b|delivery failure\b|nondeliverable mail|mail system error - returned mail|message delivery failure|non[- ]?delivery (report|notification))/i;
// Vacation-responder subject prefixes of the big mail systems (Exchange,
// Gmail, Apple, Zimbra, Lotus Notes "AUTO:") in the languages our customers
// write in.
const AUTO_REPLY_SUBJECT =
  /^\s*(auto|automatic reply|auto[- ]?reply|auto[- ]?response|out of (the )?office( auto ?reply)?|abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|respuesta autom[áa]tica|risposta automatica|resposta autom[áa]tica|automatisch antwoord|autosvar|automaattinen vastaus|odpowied[źz] automatyczna)\s*:/i;
// X-Auto-Response-Suppress tokens that Exchange sets on its own automatic mail.
const SUPPRESS_TOKENS = new Set(['all', 'oof', 'autoreply']);
// Headers whose mere presence marks an auto-responder (vendor variants).
const AUTO_REPLY_HEADERS = [
  'x-autoreply',
  'x-autorespond',
  'x-autoresponse',
  'x-autoreply-from',
  'x-mail-autoreply',
];
const LIST_HEADERS = ['list-id', 'list-unsubscribe', 'list-post', 'mailing-list'];

/** Classifies a message; the strongest reason wins: bounce, auto-reply, list, bulk. */
export function classifyNoise(input: NoiseInput): NoiseVerdict {
  const bounce = bounceSignals(input);
  const autoReply = autoReplySignals(input);
  const list = listSignals(input);
  const bulk = bulkSignals(input);

  // RFC 3834 3.3 asks responders to send with a null return path, so on its
  // own an empty Return-Path means "bounce" only when no auto-reply signal is there.
  const nullReturnPath = values(input, 'return-path').some((v) => /^<\s*>$/.test(v.trim()));
  if (nullReturnPath && autoReply.length === 0) bounce.push('return-path:null');

  const ordered: [AutoSubmittedReason, string[]][] = [
    ['bounce', bounce],
    ['auto-reply', autoReply],
    ['mailing-list', list],
    ['bulk', bulk],
  ];
  const signals = ordered.flatMap(([, found]) => found);
  const winner = ordered.find(([, found]) => found.length > 0);
  return { auto_submitted: winner !== undefined, reason: winner ? winner[0] : null, signals };
}

function bounceSignals(input: NoiseInput): string[] {
  const found: string[] = [];
  const type = input.content_type?.value;
  if (type === 'multipart/report' && isDeliveryReport(reportType(input))) {
    found.push('content-type:multipart/report;delivery-status');
  }
  // A bare report without the multipart/report wrapper (seen from old MTAs).
  if (type === 'message/delivery-status' || type === 'message/global-delivery-status') {
    found.push(`content-type:${type}`);
  }
  if (values(input, 'x-failed-recipients').some((v) => v.trim() !== '')) {
    found.push('x-failed-recipients');
  }
  if (isBounceSender(input)) found.push('from:mailer-daemon');
  if (BOUNCE_SUBJECT.test(input.subject)) found.push('subject:bounce');
  return found;
}

function reportType(input: NoiseInput): string | undefined {
  return input.content_type?.params['report-type']?.trim().toLowerCase();
}

function isDeliveryReport(reportType: string | undefined): boolean {
  return reportType === 'delivery-status' || reportType === 'global-delivery-status';
}

function isBounceSender(input: NoiseInput): boolean {
  const address = input.from?.address ?? '';
  const local = (address.includes('@') ? address.slice(0, address.lastIndexOf('@')) : address)
    .trim()
    .toLowerCase();
  if (BOUNCE_SENDERS.has(local)) return true;
  if (input.from && BOUNCE_SENDER_NAMES.test(input.from.name.trim())) return true;
  // "From: MAILER-DAEMON" with no domain parses to no address at all.
  const raw = values(input, 'from')[0] ?? '';
  return /^\s*"?(mailer[-_]daemon|postmaster)\b/i.test(raw) && !address;
}

function autoReplySignals(input: NoiseInput): string[] {
  const found: string[] = [];
  for (const value of values(input, 'auto-submitted')) {
    // The keyword may carry parameters or a comment: "auto-replied; owner=x".
    const keyword = (value.split(/[;(\s]/)[0] ?? '').toLowerCase();
    if (keyword && keyword !== 'no') found.push(`auto-submitted:${keyword}`);
  }
  for (const name of AUTO_REPLY_HEADERS) {
    if (values(input, name).some((v) => !/^\s*(no|false|0)\s*$/i.test(v))) found.push(name);
  }
  for (const value of values(input, 'x-auto-response-suppress')) {
    const tokens = value.split(/[\s,]+/).map((t) => t.toLowerCase());
    if (tokens.some((t) => SUPPRESS_TOKENS.has(t))) found.push('x-auto-response-suppress');
  }
  if (values(input, 'x-autogenerated').some((v) => /reply/i.test(v))) found.push('x-autogenerated');
  if (precedences(input).includes('auto_reply')) found.push('precedence:auto_reply');
  if (input.content_type?.value === 'multipart/report' && !isDeliveryReport(reportType(input))) {
    // Read receipts (MDN) and feedback reports: machine-made answers too.
    found.push(`content-type:multipart/report;${reportType(input) ?? 'unknown'}`);
  }
  if (AUTO_REPLY_SUBJECT.test(input.subject)) found.push('subject:auto-reply');
  return found;
}

function listSignals(input: NoiseInput): string[] {
  const found = LIST_HEADERS.filter((name) => values(input, name).length > 0);
  if (precedences(input).includes('list')) found.push('precedence:list');
  return found;
}

function bulkSignals(input: NoiseInput): string[] {
  return precedences(input)
    .filter((p) => p === 'bulk' || p === 'junk')
    .map((p) => `precedence:${p}`);
}

function precedences(input: NoiseInput): string[] {
  return values(input, 'precedence').map((v) => (v.trim().split(/[\s;(]/)[0] ?? '').toLowerCase());
}

function values(input: NoiseInput, name: string): readonly string[] {
  return input.headers[name] ?? [];
}
