// The customer's language, from what they wrote (tinyld), so the model can be
// told which language to reply in rather than left to guess from a thread
// that may mix the team's English with the customer's French.
import { detectAll } from 'tinyld';

export interface DetectedLanguage {
  /** ISO 639-1, e.g. "fr". */
  code: string;
  /** The English name, e.g. "French". */
  name: string;
}

// Below this, tinyld guesses (a "Thanks!" reads as anything); a wrong
// instruction is worse than none, since the prompt already says "reply in the
// customer's language".
const MIN_CHARS = 12;
const MIN_ACCURACY = 0.5;

const NAMES = new Intl.DisplayNames(['en'], { type: 'language' });

export function detectLanguage(text: string): DetectedLanguage | null {
  const sample = text.replace(/\s+/g, ' ').trim().slice(0, 2_000);
  if (sample.length < MIN_CHARS) return null;
  const best = detectAll(sample)[0];
  if (!best || best.accuracy < MIN_ACCURACY || !/^[a-z]{2}$/.test(best.lang)) return null;
  return { code: best.lang, name: NAMES.of(best.lang) ?? best.lang };
}
