// Cutting a knowledge document into passages the index ranks: one section per
// heading, the heading path kept on each passage (a passage under "Returns ›
// Refund timing" ranks for "refund" even when its text never says it), long
// sections split at paragraph boundaries.
import sanitizeHtml from 'sanitize-html';
import type { KnowledgeFormat, KnowledgeSource } from '../store/index.ts';

export interface Passage {
  /** `<document id>:<n>`, stable while the document is unchanged. */
  id: string;
  document_id: string;
  source: KnowledgeSource;
  title: string;
  /** The headings above the passage, outermost first, joined with " › ". */
  headings: string;
  text: string;
}

interface ChunkableDocument {
  _id: string;
  source: KnowledgeSource;
  title: string;
  format: KnowledgeFormat;
  content: string;
}

// About 150-200 words: long enough to carry an answer, short enough that
// five of them fit a prompt next to the conversation.
const MAX_PASSAGE_CHARS = 1_200;

const BLOCK_TAGS = ['p', 'div', 'li', 'tr', 'br', 'pre', 'blockquote', 'section', 'article'];
const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  '#39': "'",
  apos: "'",
  nbsp: ' ',
};

/** HTML as Markdown-like text: headings become `#` lines, blocks become lines. */
function htmlToMarkdown(html: string): string {
  const kept = sanitizeHtml(html, {
    allowedTags: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'title', ...BLOCK_TAGS],
    allowedAttributes: {},
  });
  return kept
    .replace(/<h([1-6])>([\s\S]*?)<\/h\1>/gi, (_, level: string, inner: string) => {
      return `\n${'#'.repeat(Number(level))} ${inner.replace(/<[^>]*>/g, ' ').trim()}\n`;
    })
    .replace(/<title>([\s\S]*?)<\/title>/gi, '\n# $1\n')
    .replace(/<\/?(?:p|div|li|tr|br|pre|blockquote|section|article)\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#?\w+);/g, (whole, name: string) => {
      if (ENTITIES[name] !== undefined) return ENTITIES[name];
      const code = /^#(\d+)$/.exec(name)?.[1];
      return code ? String.fromCodePoint(Number(code)) : whole;
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n');
}

/** The document's own title: its first top-level heading, else `fallback`. */
export function titleOf(format: KnowledgeFormat, content: string, fallback: string): string {
  const text = format === 'html' ? htmlToMarkdown(content) : content;
  const heading = format === 'text' ? null : /^#{1,2}\s+(.+?)\s*#*\s*$/m.exec(text)?.[1];
  return (heading ?? fallback).trim().slice(0, 200) || fallback;
}

function splitLong(text: string): string[] {
  if (text.length <= MAX_PASSAGE_CHARS) return [text];
  const pieces: string[] = [];
  let current = '';
  for (const paragraph of text.split(/\n\s*\n/)) {
    // A paragraph longer than a passage on its own is cut at sentence ends.
    const parts =
      paragraph.length > MAX_PASSAGE_CHARS
        ? (paragraph.match(/[^.!?]+[.!?]*\s*/g) ?? [paragraph])
        : [paragraph];
    for (const part of parts) {
      if (current && current.length + part.length + 2 > MAX_PASSAGE_CHARS) {
        pieces.push(current.trim());
        current = '';
      }
      current += (current ? '\n\n' : '') + part;
    }
  }
  if (current.trim()) pieces.push(current.trim());
  return pieces;
}

export function chunkDocument(doc: ChunkableDocument): Passage[] {
  const text = doc.format === 'html' ? htmlToMarkdown(doc.content) : doc.content;
  const sections: Array<{ headings: string[]; lines: string[] }> = [];
  let stack: Array<{ level: number; text: string }> = [];
  let current = { headings: [] as string[], lines: [] as string[] };
  sections.push(current);
  for (const line of text.split(/\r?\n/)) {
    const heading = doc.format === 'text' ? null : /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      const level = heading[1]?.length ?? 1;
      stack = [...stack.filter((h) => h.level < level), { level, text: heading[2] ?? '' }];
      current = { headings: stack.map((h) => h.text), lines: [] };
      sections.push(current);
    } else {
      current.lines.push(line);
    }
  }
  const passages: Passage[] = [];
  for (const section of sections) {
    const body = section.lines.join('\n').trim();
    if (!body) continue;
    for (const piece of splitLong(body)) {
      passages.push({
        id: `${doc._id}:${passages.length + 1}`,
        document_id: doc._id,
        source: doc.source,
        title: doc.title,
        headings: section.headings.join(' › '),
        text: piece,
      });
    }
  }
  return passages;
}
