// One message's nodemailer options, and its bytes built from them. nodemailer
// builds every header (encoding, folding, angle brackets, the
// multipart/alternative body): nothing here joins MIME by hand, so a name with
// a comma or a non-ASCII subject stays well formed.
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { textToHtml } from './text-html.ts';
import type { MailAddress, OutboundMail } from './types.ts';

const address = (a: MailAddress) => ({ name: a.name ?? '', address: a.address });
const bracketed = (id: string): string => `<${id}>`;

export function mailOptions(mail: OutboundMail): SendMailOptions {
  return {
    from: address(mail.from),
    to: mail.to.map(address),
    ...(mail.cc.length > 0 ? { cc: mail.cc.map(address) } : {}),
    ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
    // A line break in a subject would end the header; nodemailer encodes the rest.
    subject: mail.subject.replace(/[\r\n]+/g, ' '),
    messageId: bracketed(mail.messageId),
    date: mail.date,
    ...(mail.inReplyTo ? { inReplyTo: bracketed(mail.inReplyTo) } : {}),
    ...(mail.references.length > 0 ? { references: mail.references.map(bracketed) } : {}),
    text: mail.text,
    html: textToHtml(mail.text),
    // The body is text from people and models: never let nodemailer read a
    // file or fetch a URL on its behalf.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

// Built in memory, CRLF line ends: byte for byte what SMTP would carry.
const composer = nodemailer.createTransport({
  streamTransport: true,
  buffer: true,
  newline: 'windows',
});

/**
 * The message as SMTP carries it (the outbox file, the Sent folder's copy).
 * Each build draws its own MIME boundaries; every header is the same.
 */
export async function renderMessage(mail: OutboundMail): Promise<Buffer> {
  const info = await composer.sendMail(mailOptions(mail));
  return Buffer.isBuffer(info.message) ? info.message : Buffer.from(String(info.message));
}
