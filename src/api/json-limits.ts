// Structure limits for JSON request bodies, checked on the raw text before
// JSON.parse, so every later walk (zod, the Idempotency-Key hash, logging)
// only ever sees shallow, bounded bodies. One pass, no recursion: linear in
// the body whatever its shape.
//
// The numbers: the deepest body the API takes is 3 levels (an agent's
// provider settings) and the widest a dozen fields, so a real client never
// comes near 32 levels or 10,000 keys, while a recursive walk of 32 levels is
// far from the stack limit and 10,000 keys cost a sort of 10,000 strings.
import { ApiError } from './errors.ts';

export const MAX_BODY_DEPTH = 32;
export const MAX_BODY_KEYS = 10_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;

/**
 * Throws a 400 when `text` nests deeper than `maxDepth` or holds more than `maxKeys`
 * object keys (a key is counted by its colon outside strings). It does not validate
 * the JSON: JSON.parse does that afterwards.
 */
export function checkJsonLimits(
  text: string,
  maxDepth: number = MAX_BODY_DEPTH,
  maxKeys: number = MAX_BODY_KEYS,
): void {
  let depth = 0;
  let keys = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
      continue;
    }
    if (code === QUOTE) inString = true;
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > maxDepth) {
        throw new ApiError(
          'invalid_request',
          'body_too_deep',
          `the request body is nested deeper than ${maxDepth} levels`,
        );
      }
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
    else if (code === COLON && ++keys > maxKeys) {
      throw new ApiError(
        'invalid_request',
        'body_too_many_keys',
        `the request body has more than ${maxKeys} object keys`,
      );
    }
  }
}
