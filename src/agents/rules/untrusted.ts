// The wrapper that marks customer-written text in a model prompt. The system
// prompt tells the model that text inside it is data, never instructions; that
// only holds if the customer cannot close the wrapper early, so every spelling
// of the tag name inside the content is removed first.

const TAG = 'untrusted_customer_content';
export const UNTRUSTED_OPEN = `<${TAG}>`;
export const UNTRUSTED_CLOSE = `</${TAG}>`;
export const REMOVED_TAG = '[tag removed]';

// Each character of the tag name, also in its fullwidth form ("ｕｎｔｒｕｓｔｅｄ"),
// with invisible format characters (zero-width space, joiners, soft hyphen)
// allowed between them; "_" may also be written as a space or a dash. The
// name alone is enough to remove: brackets are optional because a model may
// read "/untrusted_customer_content" without them as a closing tag too.
function tolerantName(): string {
  const format = String.raw`\p{Cf}*`;
  return Array.from(TAG)
    .map((char) => {
      if (char === '_') return String.raw`[_＿\s\-‐–]*`;
      const fullwidth = String.fromCodePoint((char.codePointAt(0) ?? 0) + 0xfee0);
      return `[${char}${fullwidth}]`;
    })
    .join(format);
}

const TAG_ANYWHERE = new RegExp(
  String.raw`(?:[<＜﹤‹〈]\s*)?(?:[/／]\s*)?${tolerantName()}(?:\s*[>＞﹥›〉])?`,
  'giu',
);

/** The text with every opening or closing wrapper tag (in any disguise) replaced. */
export function neutralizeUntrusted(text: string): string {
  return text.replace(TAG_ANYWHERE, REMOVED_TAG);
}

/** Customer-written text inside the wrapper, on lines of its own. */
export function wrapUntrusted(text: string): string {
  return `${UNTRUSTED_OPEN}\n${neutralizeUntrusted(text)}\n${UNTRUSTED_CLOSE}`;
}

/** A short customer-written value (a name, a subject) wrapped inline. */
export function wrapUntrustedInline(text: string): string {
  return `${UNTRUSTED_OPEN}${neutralizeUntrusted(text)}${UNTRUSTED_CLOSE}`;
}
