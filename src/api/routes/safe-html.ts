// Mail HTML made safe to show: an allowlist of tags and attributes
// (sanitize-html), so no script, event handler, javascript: URL, form, frame
// or embedded object survives. Inline images (cid:) point at the message's
// own attachments; remote images, backgrounds and styles with url() are left
// out unless the reader chose to show them (they are how mail tracks its
// readers), and counted so the app can say how many were held back.
import sanitizeHtml from 'sanitize-html';

export interface SafeHtmlOptions {
  /** The download URL of the attachment a cid: reference names, or null when there is none. */
  inlineImageUrl(contentId: string): string | null;
  remoteImages: 'block' | 'show';
}

export interface SafeHtml {
  html: string;
  remote_images_blocked: number;
}

const REMOTE = /^\s*(https?:)?\/\//i;
const TEXT_ATTRIBUTES = [
  'style',
  'align',
  'valign',
  'width',
  'height',
  'bgcolor',
  'color',
  'dir',
  'lang',
  'title',
];

export function safeMailHtml(source: string, options: SafeHtmlOptions): SafeHtml {
  let blocked = 0;
  const show = options.remoteImages === 'show';

  /** A src that may stay: an inline image on this origin, a data: image, or remote when shown. */
  function imageSource(src: string | undefined): string | null {
    if (!src) return null;
    if (/^cid:/i.test(src)) return options.inlineImageUrl(src.slice(4).replace(/^<|>$/g, ''));
    if (REMOTE.test(src)) {
      if (show) return src;
      blocked++;
      return null;
    }
    return /^data:image\//i.test(src) ? src : null;
  }

  const html = sanitizeHtml(source, {
    allowedTags: [
      ...sanitizeHtml.defaults.allowedTags,
      'img',
      'font',
      'center',
      'span',
      'del',
      'ins',
      'sub',
      'sup',
    ],
    allowedAttributes: {
      '*': TEXT_ATTRIBUTES,
      a: ['href', 'name', 'target', 'rel'],
      img: ['src', 'alt', 'width', 'height'],
      td: ['colspan', 'rowspan'],
      th: ['colspan', 'rowspan', 'scope'],
      font: ['face', 'size', 'color'],
    },
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowedSchemesByTag: { img: ['http', 'https', 'data'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: {
      a: (tagName, attribs) => ({
        tagName,
        attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer' },
      }),
      img: (tagName, attribs) => {
        const { src, ...rest } = attribs;
        const kept = imageSource(src);
        return { tagName, attribs: kept ? { ...rest, src: kept } : rest };
      },
    },
  });
  // sanitize-html keeps style attributes as they are, and styles may load
  // images too (background: url(...)): drop those that do.
  const styled = show
    ? html
    : html.replace(/\sstyle="([^"]*)"/gi, (whole, css: string) => {
        if (!/url\s*\(/i.test(css.replace(/&quot;|&#x27;|&#39;/g, ''))) return whole;
        blocked++;
        return '';
      });
  return { html: styled, remote_images_blocked: blocked };
}
