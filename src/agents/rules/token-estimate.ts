// A token estimate without a tokenizer dependency, for fitting a prompt into a
// model's context window. Heuristic, measured against OpenAI's BPE tokenizers:
// - English and other Latin/Cyrillic/Greek text runs ~4 characters per token;
// - CJK, Hangul, the unspaced South-East Asian scripts and emoji run ~1 token
//   per character (often more for rare Han characters and emoji);
// - each chat message costs ~4 tokens of framing (role, separators), and the
//   reply is primed with ~3 (OpenAI cookbook: "every reply is primed with
//   <|start|>assistant<|message|>").
// It undercounts base64, long URLs and code; callers leave a margin in the
// budget rather than trust it to the token.

import { UNSPACED_CHAR } from './text-boundaries.ts';

export const MESSAGE_OVERHEAD_TOKENS = 4;
export const REPLY_PRIMING_TOKENS = 3;

// The scripts the keyword rule treats as unspaced are the ones that tokenize
// per character; emoji take one or more tokens each too.
const WIDE = new RegExp(`${UNSPACED_CHAR}|\\p{Extended_Pictographic}`, 'u');

export type TokenEstimator = (text: string) => number;

/** ceil(narrow characters / 4) + wide characters, counting code points. */
export function estimateTokens(text: string): number {
  let wide = 0;
  let narrow = 0;
  for (const char of text) {
    if (WIDE.test(char)) wide++;
    else narrow++;
  }
  return wide + Math.ceil(narrow / 4);
}
