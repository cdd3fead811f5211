// Character classes shared by the mention and keyword rules. JavaScript's `\b`
// only knows ASCII letters, so "Rückerstattung" or "возврат" would have
// boundaries in the middle of the word; these classes use Unicode properties.

/** Letters, digits and combining marks (Devanagari vowel signs, decomposed accents). */
export const WORD_CHAR = String.raw`[\p{L}\p{N}\p{M}]`;

// Scripts written without spaces between words (Han, kana, Thai, Lao, Khmer,
// Myanmar), plus Hangul: Korean uses spaces, but particles attach to the noun
// ("환불을" is "refund" + object particle), so whole-word matching would miss
// nearly every real use. Script_Extensions so the kana prolonged-sound mark
// "ー" (script Common) counts too.
export const UNSPACED_CHAR = String.raw`[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}\p{scx=Thai}\p{scx=Lao}\p{scx=Khmer}\p{scx=Myanmar}]`;
const UNSPACED = new RegExp(UNSPACED_CHAR, 'u');
const WORD = new RegExp(WORD_CHAR, 'u');

/** Whether a keyword edge must not touch another letter or digit (whole-word rule). */
export function needsWordBoundary(char: string | undefined): boolean {
  return char !== undefined && WORD.test(char) && !UNSPACED.test(char);
}

/** Escapes text for a `u`-flag RegExp (where `\-` and other identity escapes are errors). */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, String.raw`\$&`);
}
