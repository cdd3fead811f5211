// The mention trigger policy: "@handle" or "@Full Name" as a whole token.
// - Before the "@": start of text, a character that cannot be part of an
//   email local part or a URL path, or a letter of a script written without
//   spaces; so "email@drafter.com", "x@drafter" and "https://host/@drafter" are
//   not mentions, "请@助手" is.
// - After the name: nothing that would continue a handle (letter, digit, mark,
//   "_", "-", "@"), and no "." followed by such a character: "@drafterbot" and
//   "@drafter.bot" are other handles, but "@drafter." ends a sentence.
// - Case-insensitive (Unicode simple case folding) on NFC text; the words of a
//   name may be separated by any whitespace ("@Billing  Bot", a line break).
import { escapeRegExp, UNSPACED_CHAR } from './text-boundaries.ts';

const NAME_CHAR = String.raw`[\p{L}\p{N}\p{M}_\-]`;
// A letter of an unspaced script may touch the "@": "请@助手" is how Chinese writes it.
const BEFORE = String.raw`(?<!(?!${UNSPACED_CHAR})[\p{L}\p{N}\p{M}_.%+\-@/\\])`;
const AFTER = String.raw`(?!${NAME_CHAR}|[.@]${NAME_CHAR}|@)`;

export interface MentionTarget {
  handle: string | null;
  name: string | null;
}

function targetPattern(target: string): string | null {
  // A configured "@drafter" means the handle "drafter".
  const cleaned = target.normalize('NFC').trim().replace(/^@+/, '').trim();
  if (!cleaned) return null;
  return cleaned
    .split(/\s+/u)
    .map(escapeRegExp)
    .join(String.raw`\s+`);
}

/** Whether the text @mentions the agent by handle or by full name. */
export function mentions(text: string | null, target: MentionTarget): boolean {
  if (!text) return false;
  const alternatives = [target.handle, target.name]
    .map((value) => (value ? targetPattern(value) : null))
    .filter((pattern): pattern is string => pattern !== null);
  if (alternatives.length === 0) return false;
  const pattern = new RegExp(`${BEFORE}@(?:${alternatives.join('|')})${AFTER}`, 'iu');
  return pattern.test(text.normalize('NFC'));
}
