// What a request may be, in one place: body size, JSON depth and keys, path
// parameter length, header size. A real client never comes near any of them;
// each bounds the work one request can cost.
//
// JSON structure is checked on the raw text before JSON.parse, so every later
// walk (zod, the Idempotency-Key hash, logging) only ever sees shallow,
// bounded bodies. One pass, no recursion: linear in the body whatever its shape.
import { maxHeaderSize } from 'node:http';
import { ApiError } from './errors.ts';

// JSON bodies stay small (a reply text, a few fields); big payloads are a mistake or an attack.
export const BODY_LIMIT_BYTES = 1024 * 1024;
// The deepest body the API takes is 3 levels (an agent's provider settings) and
// the widest a dozen fields; a recursive walk of 32 levels is far from the stack
// limit, and 10,000 keys cost a sort of 10,000 strings.
export const MAX_BODY_DEPTH = 32;
export const MAX_BODY_KEYS = 10_000;
// Ids are at most 63 characters (config ids) or ~30 (generated ones); fastify's default.
export const MAX_PARAM_LENGTH = 100;
// Request line and headers together: Node's limit (16 KiB unless --max-http-header-size).
export const MAX_HEADER_BYTES = maxHeaderSize;

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
