// Large test mail, built line by line: the text the parser must give back
// (LF line ends, as mailparser returns them) next to the raw source (CRLF).
// Lines mix ASCII with two- and three-byte UTF-8, so an inline cut that
// splits a character would show.
import { newMessageId } from './mail-builder.ts';

export interface LargeMail {
  messageId: string;
  raw: Buffer;
  /** The decoded body the API must hand back byte for byte. */
  body: string;
}

function lines(targetBytes: number, kind: 'text' | 'html'): string[] {
  const out: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < targetBytes; i++) {
    const text = `Line ${i}: the parcel (n° ${i % 997}) costs ${i % 89} € — still not here.`;
    const line = kind === 'html' ? `<p>${text}</p>` : text;
    out.push(line);
    bytes += Buffer.byteLength(line) + 2;
  }
  return out;
}

/** A single-part text/plain or text/html mail of about `rawBytes` bytes, 8bit UTF-8. */
export function largeMail(rawBytes: number, kind: 'text' | 'html' = 'text'): LargeMail {
  const messageId = newMessageId(`large-${kind}`);
  const headers = [
    'From: Jane Customer <jane@customer.example>',
    'To: Acme Support <support@acme.test>',
    `Subject: A very long ${kind} mail`,
    'Date: Mon, 23 Nov 2026 09:00:00 +0000',
    `Message-ID: <${messageId}>`,
    'MIME-Version: 1.0',
    `Content-Type: text/${kind === 'html' ? 'html' : 'plain'}; charset=utf-8`,
    'Content-Transfer-Encoding: 8bit',
  ];
  const body = lines(rawBytes - 400, kind);
  const raw = Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body.join('\r\n')}\r\n`, 'utf8');
  return { messageId, raw, body: `${body.join('\n')}\n` };
}
