// Build raw RFC 5322 test messages (CRLF line endings), so each test shows
// the headers that matter to it.
import { randomBytes } from 'node:crypto';

export interface MailOptions {
  from?: string;
  to?: string;
  subject?: string;
  messageId?: string | null;
  inReplyTo?: string;
  references?: string[];
  date?: string;
  headers?: Record<string, string>;
  body?: string;
  contentType?: string;
}

export function newMessageId(label = 'msg'): string {
  return `${label}.${randomBytes(6).toString('hex')}@customer.example`;
}

export function buildMail(options: MailOptions = {}): string {
  const lines = [
    `From: ${options.from ?? 'Jane Customer <jane@customer.example>'}`,
    `To: ${options.to ?? 'Acme Support <support@acme.test>'}`,
    `Subject: ${options.subject ?? 'Where is my order?'}`,
    `Date: ${options.date ?? 'Mon, 23 Nov 2026 09:00:00 +0000'}`,
  ];
  if (options.messageId !== null)
    lines.push(`Message-ID: <${options.messageId ?? newMessageId()}>`);
  if (options.inReplyTo) lines.push(`In-Reply-To: <${options.inReplyTo}>`);
  if (options.references?.length)
    lines.push(`References: ${options.references.map((r) => `<${r}>`).join(' ')}`);
  for (const [name, value] of Object.entries(options.headers ?? {}))
    lines.push(`${name}: ${value}`);
  lines.push(
    'MIME-Version: 1.0',
    `Content-Type: ${options.contentType ?? 'text/plain; charset=utf-8'}`,
    '',
  );
  lines.push(...(options.body ?? 'Hello, my order #1234 has not arrived yet.').split('\n'), '');
  return lines.join('\r\n');
}

/** A message with an inline cid image in its HTML and a large file attachment. */
export function buildMailWithAttachments(options: {
  messageId: string;
  attachmentBytes: number;
}): Buffer {
  const boundaryMixed = 'mixed-boundary-1';
  const boundaryRelated = 'related-boundary-2';
  // A 1x1 PNG.
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  );
  const file = Buffer.alloc(options.attachmentBytes);
  for (let i = 0; i < file.length; i += 1) file[i] = (i * 31 + 7) & 0xff;
  const wrap = (data: Buffer): string => data.toString('base64').replace(/.{76}/g, '$&\r\n');
  const parts = [
    'From: Jane Customer <jane@customer.example>',
    'To: support@acme.test',
    'Subject: Photos of the damaged parcel',
    'Date: Mon, 23 Nov 2026 10:00:00 +0000',
    `Message-ID: <${options.messageId}>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundaryMixed}"`,
    '',
    `--${boundaryMixed}`,
    `Content-Type: multipart/related; boundary="${boundaryRelated}"`,
    '',
    `--${boundaryRelated}`,
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>The parcel arrived damaged:</p><img src="cid:parcel-photo@customer.example">',
    `--${boundaryRelated}`,
    'Content-Type: image/png; name="parcel.png"',
    'Content-Transfer-Encoding: base64',
    'Content-ID: <parcel-photo@customer.example>',
    'Content-Disposition: inline; filename="parcel.png"',
    '',
    wrap(png),
    `--${boundaryRelated}--`,
    `--${boundaryMixed}`,
    'Content-Type: application/pdf; name="invoice.pdf"',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="invoice.pdf"',
    '',
    wrap(file),
    `--${boundaryMixed}--`,
    '',
  ];
  return Buffer.from(parts.join('\r\n'));
}
