// Reading a bounce: which of our messages failed, for whom, and why. The
// sources, best first: the message/delivery-status part (RFC 3464), the
// returned message or its headers (message/rfc822, text/rfc822-headers,
// RFC 6522), and for MTAs that send plain-text bounces (qmail, old Exchange)
// the copy of the original headers quoted in the body.
import { normalizeAddress } from './addresses.ts';
import { firstValue, readHeaderBlock } from './header-block.ts';
import { parseMessageId } from './message-ids.ts';
import { prepareRaw } from './prepare-raw.ts';
import type { BounceInfo } from './types.ts';

export interface DeliveryStatus {
  recipients: string[];
  status: string | null;
  action: string | null;
}

interface RecipientReport {
  address: string;
  action: string | null;
  status: string | null;
}

// More than this many recipients in one report is a mass bounce; the first
// ones are enough to attach it to a conversation.
const MAX_RECIPIENTS = 100;
const STATUS_CODE = /\b[245]\.\d{1,3}\.\d{1,3}\b/;
const FIELD = /^([A-Za-z0-9-]+)[ \t]*:(.*)$/;

/** Parses the body of a message/delivery-status part. */
export function parseDeliveryStatus(text: string): DeliveryStatus {
  const reports: RecipientReport[] = [];
  for (const block of fieldBlocks(text)) {
    const recipient = block.get('final-recipient') ?? block.get('original-recipient');
    if (recipient === undefined) continue;
    const address = recipientAddress(recipient);
    if (!address) continue;
    const action =
      (block.get('action') ?? '')
        .trim()
        .split(/[\s(;]/)[0]
        ?.toLowerCase() || null;
    const status = STATUS_CODE.exec(block.get('status') ?? '')?.[0] ?? null;
    reports.push({ address, action, status });
  }
  const failed = reports.filter((r) => r.action === 'failed');
  const chosen = failed[0] ?? reports.find((r) => r.action !== null) ?? reports[0];
  const listed = failed.length > 0 ? failed : reports;
  return {
    recipients: unique(listed.map((r) => r.address)).slice(0, MAX_RECIPIENTS),
    status: chosen?.status ?? null,
    action: chosen?.action ?? null,
  };
}

/** The Message-ID in the header block of a returned message or rfc822-headers part. */
export function messageIdFromHeaders(head: Buffer): string | null {
  const block = readHeaderBlock(prepareRaw(head), head.length);
  return parseMessageId(firstValue(block.fields, 'message-id'));
}

// A quoted header line of the original: "Message-ID: <x@y>", maybe ">"-quoted.
const QUOTED_MESSAGE_ID = /^[ \t>]*(?:original-)?message-id[ \t]*:[ \t]*(\S[^\r\n]*)$/im;

/** The Message-ID quoted in a plain-text bounce body, or null. */
export function messageIdFromBody(text: string): string | null {
  const match = QUOTED_MESSAGE_ID.exec(text);
  return match ? parseMessageId(match[1] ?? null) : null;
}

export interface BounceSources {
  /** Bodies of message/delivery-status parts. */
  deliveryStatus: readonly string[];
  /** Heads of message/rfc822 and text/rfc822-headers parts. */
  returnedHeads: readonly Buffer[];
  /** The bounce's own plain text. */
  text: string;
  /** Values of the X-Failed-Recipients header (Exim). */
  failedRecipients: readonly string[];
}

/** Assembles what is known about a bounce from all its sources. */
export function readBounce(sources: BounceSources): BounceInfo {
  let originalId: string | null = null;
  for (const head of sources.returnedHeads) {
    originalId = messageIdFromHeaders(head);
    if (originalId) break;
  }
  originalId ??= messageIdFromBody(sources.text);

  const recipients: string[] = [];
  let status: string | null = null;
  let action: string | null = null;
  for (const body of sources.deliveryStatus) {
    const report = parseDeliveryStatus(body);
    recipients.push(...report.recipients);
    status ??= report.status;
    action ??= report.action;
  }
  for (const value of sources.failedRecipients) {
    recipients.push(
      ...value
        .split(',')
        .map(recipientAddress)
        .filter((a) => a !== ''),
    );
  }
  return {
    original_message_id: originalId,
    recipients: unique(recipients).slice(0, MAX_RECIPIENTS),
    status,
    action,
  };
}

// "rfc822; user@example.com" (RFC 3464 2.3.2), sometimes bracketed or bare.
function recipientAddress(value: string): string {
  const semicolon = value.indexOf(';');
  const address = (semicolon === -1 ? value : value.slice(semicolon + 1)).trim();
  return normalizeAddress(address.replace(/\s.*$/, ''));
}

// Splits "Name: value" lines into blank-line separated blocks (RFC 3464 2.1),
// unfolding continuation lines. Later duplicates of a field are ignored.
function fieldBlocks(text: string): Map<string, string>[] {
  const blocks: Map<string, string>[] = [];
  let block = new Map<string, string>();
  let last: string | null = null;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    if (line.trim() === '') {
      if (block.size > 0) blocks.push(block);
      block = new Map();
      last = null;
      continue;
    }
    if ((line[0] === ' ' || line[0] === '\t') && last !== null) {
      block.set(last, `${block.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const match = FIELD.exec(line);
    if (!match) continue;
    const name = (match[1] ?? '').toLowerCase();
    if (!block.has(name)) block.set(name, (match[2] ?? '').trim());
    last = name;
  }
  if (block.size > 0) blocks.push(block);
  return blocks;
}

function unique(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = v.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
