// The template provider: a canned reply with {{placeholders}}, streamed through
// the same draft path as a model so tests and model-less setups get
// deterministic drafts.
//
// Rules:
// - `{{ name }}` (spaces inside the braces allowed); names are case-sensitive.
// - Rendering is one pass: a value that itself contains "{{…}}" (a customer
//   named "{{agent.name}}") is inserted literally, never expanded.
// - Unknown names are left untouched and reported in `unknown`, so a typo shows
//   in the draft a human reviews instead of silently vanishing.
// - A missing or blank value renders the fallback of the table below and is
//   reported in `fallbacks`. Values are collapsed to one line.

export interface TemplateVars {
  customer?: { name: string | null; address: string | null } | null;
  conversation?: { case_number: number | string | null; title: string | null } | null;
  agent?: { name: string | null } | null;
}

export interface RenderedTemplate {
  text: string;
  /** Placeholder names that are not in the table, in order of first use. */
  unknown: string[];
  /** Known placeholders that had no value and rendered their fallback. */
  fallbacks: string[];
}

interface Placeholder {
  value: (vars: TemplateVars) => string | number | null | undefined;
  fallback: string;
}

/** Every placeholder, with the text used when the value is missing. */
export const PLACEHOLDERS = {
  // "Hi {{customer.name}}," → "Hi there," when the mail had no display name.
  'customer.name': { value: (v) => v.customer?.name, fallback: 'there' },
  'customer.first_name': { value: (v) => firstName(v.customer?.name), fallback: 'there' },
  'customer.address': { value: (v) => v.customer?.address, fallback: 'your email address' },
  // Every case has a number; empty keeps "[#{{…}}]" from looking like a real case tag.
  'conversation.case_number': { value: (v) => v.conversation?.case_number, fallback: '' },
  'conversation.title': { value: (v) => v.conversation?.title, fallback: 'your request' },
  'conversation.subject': { value: (v) => v.conversation?.title, fallback: 'your request' },
  'agent.name': { value: (v) => v.agent?.name, fallback: 'Support' },
} as const satisfies Record<string, Placeholder>;

type PlaceholderName = keyof typeof PLACEHOLDERS;

function isPlaceholderName(name: string): name is PlaceholderName {
  return Object.hasOwn(PLACEHOLDERS, name);
}

function firstName(name: string | null | undefined): string | null {
  return name?.trim().split(/\s+/u)[0] ?? null;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export function renderTemplate(template: string, vars: TemplateVars): RenderedTemplate {
  const unknown: string[] = [];
  const fallbacks: string[] = [];
  const text = template.replace(PLACEHOLDER, (whole, name: string) => {
    if (!isPlaceholderName(name)) {
      if (!unknown.includes(name)) unknown.push(name);
      return whole;
    }
    const placeholder: Placeholder = PLACEHOLDERS[name];
    const raw = placeholder.value(vars);
    const value = raw === null || raw === undefined ? '' : String(raw).replace(/\s+/gu, ' ').trim();
    if (value) return value;
    if (!fallbacks.includes(name)) fallbacks.push(name);
    return placeholder.fallback;
  });
  return { text, unknown, fallbacks };
}

// Word segmentation from ICU (full ICU ships with Node): splits CJK text into
// words too, which a split on spaces would stream as one huge chunk.
const segmenter = new Intl.Segmenter('en', { granularity: 'word' });

/**
 * The rendered text as stream chunks shaped like model deltas: each chunk is
 * the whitespace before a word or punctuation mark plus that piece (" world",
 * ","). Trailing whitespace joins the last chunk; `chunks.join('')` is the text.
 */
export function templateTokens(text: string): string[] {
  const chunks: string[] = [];
  let pending = '';
  for (const { segment } of segmenter.segment(text)) {
    if (/^\s+$/u.test(segment)) {
      pending += segment;
      continue;
    }
    chunks.push(pending + segment);
    pending = '';
  }
  if (pending) {
    if (chunks.length > 0) chunks[chunks.length - 1] += pending;
    else chunks.push(pending);
  }
  return chunks;
}
