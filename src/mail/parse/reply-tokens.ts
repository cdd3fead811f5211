// Tokens that tie an inbound reply to a case without relying on Message-ID
// threading: the plus address we send from (support+<token>@acme.test, so the
// token comes back in To/Cc even when a client drops In-Reply-To) and the
// "[#1234]" case tag we put in subjects.
import type { ReplyTokens } from './types.ts';

// Tokens are ours (short, URL-safe); anything longer is not one of them.
const MAX_TOKEN_LENGTH = 200;
const CASE_TAG = /\[#(\d{1,15})\]/;

/**
 * Finds our reply tokens. `addresses` are the recipient addresses to look at
 * (To, Cc, Delivered-To ...); the first that is the mailbox's plus address wins.
 */
export function extractReplyToken(
  addresses: readonly string[],
  subject: string,
  mailboxAddress: string,
): ReplyTokens {
  return { plus_token: plusToken(addresses, mailboxAddress), case_number: caseNumber(subject) };
}

function plusToken(addresses: readonly string[], mailboxAddress: string): string | null {
  const mailbox = splitAddress(mailboxAddress);
  if (!mailbox) return null;
  const prefix = `${mailbox.local}+`.toLowerCase();
  for (const candidate of addresses) {
    const parts = splitAddress(candidate);
    if (!parts || parts.domain.toLowerCase() !== mailbox.domain.toLowerCase()) continue;
    if (!parts.local.toLowerCase().startsWith(prefix)) continue;
    const token = parts.local.slice(prefix.length);
    if (token && token.length <= MAX_TOKEN_LENGTH && !/[\s<>"]/.test(token)) return token;
  }
  return null;
}

/** n of the first "[#n]" tag in a subject, or null. */
export function caseNumber(subject: string): number | null {
  const match = CASE_TAG.exec(subject);
  if (!match) return null;
  const n = Number(match[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

function splitAddress(address: string): { local: string; domain: string } | null {
  const trimmed = address.trim().replace(/^<|>$/g, '');
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return null;
  return { local: trimmed.slice(0, at), domain: trimmed.slice(at + 1) };
}
