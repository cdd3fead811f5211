// Attachment file names: cleaned when the part names one, generated from the
// content type when it does not (Outlook's inline images, DSN parts and
// forwarded messages often carry no name).
import { extensionFor } from './mime-words.ts';
import type { AttachmentKind } from './types.ts';

// Most file systems and browsers cap a name at 255 bytes; keep well inside.
const MAX_FILENAME_LENGTH = 200;

// Parts whose content type libmime maps to no useful extension.
const KNOWN_EXTENSIONS: Readonly<Record<string, string>> = {
  'message/rfc822': 'eml',
  'message/global': 'eml',
  'message/delivery-status': 'txt',
  'message/global-delivery-status': 'txt',
  'message/disposition-notification': 'txt',
  'message/feedback-report': 'txt',
  'text/rfc822-headers': 'txt',
  'message/global-headers': 'txt',
  'application/ms-tnef': 'dat',
};

export function kindOf(contentType: string): AttachmentKind {
  return contentType.startsWith('image/') ? 'image' : 'file';
}

/**
 * A safe display name from the part's own name: no directory parts (a name
 * like "../../etc/passwd" is someone's attempt), no control characters, and a
 * bounded length that keeps the extension. Empty when nothing usable is left.
 */
export function cleanFilename(name: string | undefined): string {
  if (!name) return '';
  const base = name
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    .replace(/[\x00-\x1f\x7f]/g, '')
    .split(/[\\/]/)
    .pop();
  const trimmed = (base ?? '').trim().replace(/^\.+$/, '');
  if (trimmed.length <= MAX_FILENAME_LENGTH) return trimmed;
  const dot = trimmed.lastIndexOf('.');
  const ext = dot > 0 && trimmed.length - dot <= 16 ? trimmed.slice(dot) : '';
  return trimmed.slice(0, MAX_FILENAME_LENGTH - ext.length) + ext;
}

/** "image-1.png", "attachment-2.pdf": n counts generated names per kind. */
export function generatedFilename(contentType: string, n: number): string {
  const ext = KNOWN_EXTENSIONS[contentType] ?? extensionFor(contentType);
  return `${kindOf(contentType) === 'image' ? 'image' : 'attachment'}-${n}.${ext}`;
}
