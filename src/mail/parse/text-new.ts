// The new part of a reply: the customer's own words without the quoted
// history and the trailing signature.
//
// Why not a library: email-reply-parser (the maintained port of GitHub's
// parser) runs untrusted text through regexes such as
// /^(.*)[0-9]{4}(.*)from(.*)<(.*)>:$/ that backtrack polynomially; a 2 KB line
// took 0.75 s and an 8 KB one 230 s without the optional native RE2 engine.
// planer/talon ports are unmaintained or drag in DOM libraries. So this is a
// small line-based stripper whose every pattern is anchored and free of
// nested quantifiers, on lines of bounded length: linear in the input.
//
// What counts as history, first match wins:
// - a separator: "-----Original Message-----", "---------- Forwarded message
//   ---------", "Begin forwarded message:" and their translations;
// - an Outlook header block: "From: ..." followed by Sent:/To:/Subject: lines
//   (optionally after a "______" rule);
// - an attribution: "On <date>, <name> wrote:" (Gmail, Apple, Thunderbird and
//   translations), possibly wrapped over up to three lines;
// and anywhere: lines quoted with ">".

import {
  ATTRIBUTION_END,
  ATTRIBUTION_LEAD,
  ATTRIBUTION_VERB,
  FORWARD_INTRO,
  HEADER_KEY,
  FROM_KEY,
  MOBILE_SIGNATURE,
  RULE,
  SEPARATOR,
} from './text-new-patterns.ts';

// Markers are short; a longer line is content and is not tested, which also
// bounds the regex work per line.
const MAX_MARKER_LINE = 500;
const MAX_ATTRIBUTION_LINES = 3;
const HEADER_BLOCK_WINDOW = 6;

interface HistoryStart {
  index: number;
  /** Lines the marker itself occupies (dropped when posting is bottom-up). */
  length: number;
  kind: 'separator' | 'header-block' | 'attribution';
}

/** Extracts the new text of a plain-text reply. */
export function extractNewText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let kept: readonly string[] = lines;
  const start = findHistoryStart(lines);
  if (start) {
    const before = lines.slice(0, start.index);
    if (before.some((line) => !isQuoted(line) && line.trim() !== '')) {
      kept = before; // top-posting: everything from the marker on is history
    } else {
      // Nothing above the marker. After an attribution this is bottom-posting
      // or inline answers, which follow the quote; after a separator it is a
      // forward without a note, whose forwarded message is what is new to us.
      kept = lines.slice(start.index + start.length);
    }
  }
  kept = kept.filter((line) => !isQuoted(line));
  kept = cutSignature(kept);
  return kept.join('\n').trim();
}

function findHistoryStart(lines: readonly string[]): HistoryStart | null {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.length > MAX_MARKER_LINE || line.trim() === '' || isQuoted(line)) continue;
    if (SEPARATOR.test(line) || FORWARD_INTRO.test(line)) {
      // The forwarded message's own header block belongs to the marker.
      return { index: i, length: 1 + headerBlockAfter(lines, i), kind: 'separator' };
    }
    if (RULE.test(line)) {
      const block = headerBlockAfter(lines, i);
      if (block > 0) return { index: i, length: 1 + block, kind: 'header-block' };
      continue;
    }
    if (isHeaderBlock(lines, i)) {
      return { index: i, length: headerBlockLength(lines, i), kind: 'header-block' };
    }
    const attribution = attributionLength(lines, i);
    if (attribution > 0) return { index: i, length: attribution, kind: 'attribution' };
  }
  return null;
}

// "From: x" counts as the start of a quoted header block only when at least
// two more header lines (Sent:, To:, Subject: ...) follow closely, so that a
// customer's "From: my order page I get an error" stays new text.
function isHeaderBlock(lines: readonly string[], i: number): boolean {
  if (!FROM_KEY.test(lines[i] ?? '')) return false;
  let keys = 0;
  for (let j = i + 1; j < Math.min(lines.length, i + 1 + HEADER_BLOCK_WINDOW); j++) {
    const line = lines[j] ?? '';
    if (line.length <= MAX_MARKER_LINE && HEADER_KEY.test(line)) keys++;
  }
  return keys >= 2;
}

// Lines from after `i` to the end of a header block starting within the
// next two lines, or 0 when none starts there.
function headerBlockAfter(lines: readonly string[], i: number): number {
  const next = nextNonBlank(lines, i + 1);
  if (next === -1 || next - i > 2 || !isHeaderBlock(lines, next)) return 0;
  return next - i - 1 + headerBlockLength(lines, next);
}

function headerBlockLength(lines: readonly string[], i: number): number {
  let end = i + 1;
  while (end < lines.length && end - i <= HEADER_BLOCK_WINDOW) {
    const line = lines[end] ?? '';
    if (line.trim() === '') break;
    end++;
  }
  return end - i;
}

// An attribution ends in "wrote:" (or a translation) and names a date or an
// address. It may be wrapped: then its first line must start like one ("On",
// "Am", "Le", a date), so that a line of new text above it is not swallowed.
function attributionLength(lines: readonly string[], i: number): number {
  const first = lines[i] ?? '';
  let joined = '';
  for (let n = 1; n <= MAX_ATTRIBUTION_LINES && i + n - 1 < lines.length; n++) {
    const line = lines[i + n - 1] ?? '';
    if (line.trim() === '' || line.length > MAX_MARKER_LINE || isQuoted(line)) break;
    joined = n === 1 ? line.trim() : `${joined} ${line.trim()}`;
    if (n > 1 && !ATTRIBUTION_LEAD.test(first)) break;
    if (isAttribution(joined, first)) return n;
  }
  return 0;
}

function isAttribution(joined: string, first: string): boolean {
  if (!/[@\d]/.test(joined)) return false;
  if (ATTRIBUTION_END.test(joined)) return true;
  return /[:：]$/.test(joined) && ATTRIBUTION_LEAD.test(first) && ATTRIBUTION_VERB.test(joined);
}

function isQuoted(line: string): boolean {
  return /^[ \t]*>/.test(line);
}

function nextNonBlank(lines: readonly string[], from: number): number {
  for (let i = from; i < lines.length; i++) if ((lines[i] ?? '').trim() !== '') return i;
  return -1;
}

// RFC 3676 4.3: the signature starts at the line "-- "; many clients strip the
// trailing space, so "--" alone counts too. A trailing "Sent from my iPhone"
// is a signature as well.
function cutSignature(lines: readonly string[]): readonly string[] {
  const delimiter = lines.findIndex((line) => line === '-- ' || line === '--');
  let kept = delimiter === -1 ? lines : lines.slice(0, delimiter);
  const last = lastNonBlank(kept);
  const lastLine = kept[last] ?? '';
  if (last !== -1 && lastLine.length <= MAX_MARKER_LINE && MOBILE_SIGNATURE.test(lastLine)) {
    kept = kept.slice(0, last);
  }
  return kept;
}

function lastNonBlank(lines: readonly string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) if ((lines[i] ?? '').trim() !== '') return i;
  return -1;
}
