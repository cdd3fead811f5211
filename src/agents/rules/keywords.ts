// The keyword trigger policy: does a message contain one of the agent's
// trigger keywords? The rule, per keyword edge:
// - an edge that is a letter or digit of a space-delimited script must not touch
//   another letter, digit or mark: "refund" matches "Refund!" and "(refund)",
//   not "refunds" or "prerefund";
// - an edge in a script written without spaces (Han, kana, Hangul, Thai…) or a
//   punctuation edge needs no boundary: "退款" matches inside "我想退款。", "c++"
//   matches "C++," (its left edge "c" still refuses "abc++");
// - multi-word keywords match as a phrase with any whitespace between the words;
// - case-insensitive with Unicode simple case folding, on NFC text.
import { escapeRegExp, needsWordBoundary, WORD_CHAR } from './text-boundaries.ts';

/** Trimmed, inner whitespace collapsed, NFC, empty dropped, deduplicated case-insensitively. */
export function normalizeKeywords(keywords: readonly string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const raw of keywords) {
    const keyword = raw.normalize('NFC').replace(/\s+/gu, ' ').trim();
    const key = keyword.toLowerCase();
    if (!keyword || seen.has(key)) continue;
    seen.add(key);
    result.push(keyword);
  }
  return result;
}

function keywordPattern(keyword: string): RegExp {
  const chars = Array.from(keyword);
  const body = keyword
    .split(' ')
    .map(escapeRegExp)
    .join(String.raw`\s+`);
  const before = needsWordBoundary(chars[0]) ? `(?<!${WORD_CHAR})` : '';
  const after = needsWordBoundary(chars.at(-1)) ? `(?!${WORD_CHAR})` : '';
  return new RegExp(`${before}${body}${after}`, 'iu');
}

/** The first keyword (normalised, in the given order) found in the text, or null. */
export function firstKeywordMatch(text: string | null, keywords: readonly string[]): string | null {
  if (!text) return null;
  const haystack = text.normalize('NFC');
  for (const keyword of normalizeKeywords(keywords)) {
    if (keywordPattern(keyword).test(haystack)) return keyword;
  }
  return null;
}

export function matchesKeyword(text: string | null, keywords: readonly string[]): boolean {
  return firstKeywordMatch(text, keywords) !== null;
}
