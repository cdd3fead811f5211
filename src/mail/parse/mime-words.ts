// The few libmime calls the parse layer needs, wrapped so that hostile input
// can never make them throw into the caller.
import libmime from 'libmime';

/** Decodes RFC 2047 encoded words; the input as it was when decoding fails. */
export function decodeWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

export interface StructuredValue {
  /** Lower-cased main value, e.g. "multipart/report". */
  value: string;
  /** Parameters by lower-case name, RFC 2231 / 2047 decoded. */
  params: Record<string, string>;
}

/** Parses a Content-Type-like value ("type/sub; a=b (comment)"). */
export function parseStructured(value: string): StructuredValue {
  try {
    const parsed = libmime.parseHeaderValue(value, { stripComments: true });
    return { value: parsed.value.trim().toLowerCase(), params: parsed.params };
  } catch {
    return { value: (value.split(';')[0] ?? '').trim().toLowerCase(), params: {} };
  }
}

/** A file extension for a content type; "bin" when libmime knows none. */
export function extensionFor(contentType: string): string {
  try {
    return libmime.detectExtension(contentType) || 'bin';
  } catch {
    return 'bin';
  }
}
