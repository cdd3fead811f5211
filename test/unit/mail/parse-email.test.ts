// parseEmail end to end over the hand-written fixtures in test/fixtures/mail.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseEmail } from '../../../src/mail/parse/index.ts';
import { collectingSink } from './support/sinks.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'mail');
const fixture = (name: string): Buffer => readFileSync(join(fixtures, name));
const parse = (name: string, mailboxAddress?: string) =>
  parseEmail(fixture(name), collectingSink(), mailboxAddress ? { mailboxAddress } : {});

describe('parseEmail', () => {
  test('a plain message (CRLF): ids, addresses, folded subject, date, text, signature', async () => {
    const email = await parse('plain.eml');
    assert.equal(email.message_id, 'CAF=plain-0001@mail.example.com');
    assert.equal(email.in_reply_to, null);
    assert.deepEqual(email.references, []);
    assert.equal(email.subject, 'My router keeps rebooting');
    assert.deepEqual(email.from, { name: 'Jane Doe', address: 'Jane.Doe@example.com' });
    assert.deepEqual(email.to, [{ name: 'Acme Support', address: 'support@acme.test' }]);
    assert.deepEqual(email.cc, [
      { name: 'Smith, Bob', address: 'bob@example.com' },
      { name: '', address: 'carol@example.com' },
    ]);
    assert.deepEqual(email.reply_to, [{ name: 'Jane Doe', address: 'jane.replies@example.com' }]);
    assert.equal(email.date?.toISOString(), '2025-03-04T09:12:00.000Z');
    assert.match(email.text, /factory reset\. Can you help\?/);
    assert.match(email.text, /Jane Doe – Example Corp/);
    assert.equal(email.html, null);
    assert.equal(
      email.text_new,
      'Hello Acme,\n\nsince yesterday my router reboots every ten minutes. I already tried a\nfactory reset. Can you help?\n\nKind regards,\nJane',
    );
    assert.deepEqual(email.headers, {
      'return-path': '<jane.doe@example.com>',
      'content-type': 'text/plain; charset=utf-8',
      'delivered-to': 'support@acme.test',
    });
    assert.equal(email.auto_submitted, false);
    assert.equal(email.auto_submitted_reason, null);
    assert.equal(email.bounce, null);
    assert.deepEqual(email.attachments, []);
    assert.equal(email.parse_error, null);
    assert.equal(email.charset_warnings, undefined);
  });

  test('a thread reply: In-Reply-To, deduplicated References, quoted history stripped, tokens', async () => {
    const email = await parse('thread-reply.eml', 'support@acme.test');
    assert.equal(email.in_reply_to, 'postroom-out-1@acme.test');
    // "<a><b>" without a space between them, and a repeated id.
    assert.deepEqual(email.references, [
      'CAF=plain-0001@mail.example.com',
      'postroom-out-1@acme.test',
    ]);
    assert.equal(email.text_new, 'Thanks, the firmware update fixed it.\nYou can close the case.');
    assert.match(email.text, /> please install firmware/);
    assert.deepEqual(email.reply_tokens, { plus_token: 'c7f3a9e2', case_number: 1234 });
    assert.equal(email.auto_submitted, false);
  });

  test('without a mailbox address only the case number is read', async () => {
    const email = await parse('thread-reply.eml');
    assert.deepEqual(email.reply_tokens, { plus_token: null, case_number: 1234 });
  });

  test('no Message-ID: message_id is null', async () => {
    const email = await parse('no-message-id.eml');
    assert.equal(email.message_id, null);
    assert.equal(email.subject, 'Nightly export finished with 3 warnings');
    assert.deepEqual(email.headers, {});
  });

  test('an auto-reply is auto-submitted with reason auto-reply', async () => {
    const email = await parse('auto-reply.eml');
    assert.equal(email.auto_submitted, true);
    assert.equal(email.auto_submitted_reason, 'auto-reply');
    assert.equal(email.bounce, null);
    assert.equal(email.headers['auto-submitted'], 'auto-replied');
    assert.equal(email.headers['x-autoreply'], 'yes');
    assert.equal(email.headers['x-auto-response-suppress'], 'All');
  });

  test('a DSN bounce names the original message, the failed recipient, status and action', async () => {
    const sink = collectingSink();
    const email = await parseEmail(fixture('dsn-bounce.eml'), sink);
    assert.equal(email.auto_submitted, true);
    assert.equal(email.auto_submitted_reason, 'bounce');
    assert.deepEqual(email.bounce, {
      original_message_id: 'postroom-out-7@acme.test',
      recipients: ['nobody@example.com'],
      status: '5.1.1',
      action: 'failed',
    });
    // The report parts are kept as files; the human-readable part is the text.
    assert.deepEqual(
      email.attachments.map((a) => [a.filename, a.content_type]),
      [
        ['attachment-1.txt', 'message/delivery-status'],
        ['attachment-2.eml', 'message/rfc822'],
      ],
    );
    assert.match(email.text, /could not\nbe delivered/);
    assert.doesNotMatch(email.text, /Final-Recipient/);
    assert.match(sink.stored[1]?.content?.toString() ?? '', /^Return-Path: <support@acme\.test>/);
  });

  test('list mail is auto-submitted with reason mailing-list', async () => {
    const email = await parse('list-mail.eml');
    assert.equal(email.auto_submitted_reason, 'mailing-list');
    assert.equal(
      email.headers['list-id'],
      'Router users discussion <router-users.lists.example.net>',
    );
    assert.equal(email.headers.precedence, 'list');
  });

  test('an HTML-only message gets its text from the HTML, quote stripped', async () => {
    const email = await parse('html-only.eml');
    assert.equal(email.subject, 'Re: Rückfrage zu Rechnung');
    assert.deepEqual(email.from, { name: 'Jürgen Müller', address: 'juergen@example.de' });
    assert.match(email.html ?? '', /gmail_quote/);
    assert.match(email.text, /Vielen Dank, die Gutschrift ist angekommen\./);
    assert.doesNotMatch(email.text, /<p>|margin/);
    assert.equal(email.text_new, 'Vielen Dank, die Gutschrift ist angekommen.\n\nGrüße\nJürgen');
  });

  test('an empty text alternative next to real HTML: the text comes from the HTML', async () => {
    const raw = Buffer.from(
      [
        'From: jane@example.com',
        'Subject: Mobile',
        'Content-Type: multipart/alternative; boundary="a"',
        '',
        '--a',
        'Content-Type: text/plain; charset=utf-8',
        '',
        '',
        '--a',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>Hello <b>there</b></p><p>Second &amp; last&#33;</p>',
        '--a--',
        '',
      ].join('\r\n'),
    );
    const email = await parseEmail(raw, collectingSink());
    assert.equal(email.text, 'Hello there\nSecond & last!');
    assert.equal(email.text_new, 'Hello there\nSecond & last!');
  });

  test('ISO-8859-1: encoded words, 8-bit Latin-1 header bytes and body', async () => {
    const email = await parse('iso-8859-1.eml');
    assert.equal(email.subject, 'Problème de livraison');
    assert.deepEqual(email.from, { name: 'François Léger', address: 'francois@example.fr' });
    assert.deepEqual(email.to, [{ name: 'Équipe Support', address: 'support@acme.test' }]);
    assert.match(email.text, /mon colis n'est pas arrivé\. Merci de vérifier\./);
    assert.deepEqual(email.charset_warnings, [
      '8-bit header bytes that are not UTF-8 were read as Windows-1252',
    ]);
  });

  test('Windows-1252: euro sign and curly quotes from 0x80-0x9f', async () => {
    const email = await parse('windows-1252.eml');
    assert.equal(email.text.trim(), 'Der Preis beträgt 49 € “inkl. MwSt.” – stimmt das?');
    assert.equal(email.charset_warnings, undefined);
  });

  test('ISO-2022-JP: subject, sender name and body', async () => {
    const email = await parse('iso-2022-jp.eml');
    assert.equal(email.subject, '注文について');
    assert.equal(email.from?.name, '山田太郎');
    assert.equal(
      email.text.trim(),
      'お世話になっております。\n注文番号12345の件でご連絡しました。',
    );
  });

  test('no charset, raw UTF-8 headers, broken UTF-8 in the body: decoded, with a warning', async () => {
    const email = await parse('utf8-no-charset.eml');
    assert.equal(email.subject, 'Grüße aus Köln');
    assert.equal(email.from?.name, 'Kai Weiß');
    assert.equal(email.text.trim(), 'Schöne Grüße, kaputt: \uFFFD( Ende.');
    assert.deepEqual(email.charset_warnings, [
      'the body holds bytes invalid in its declared charset (shown as U+FFFD)',
    ]);
  });

  test('an inline cid image and file attachments: names, kinds, inline flag, streamed content', async () => {
    const sink = collectingSink();
    const email = await parseEmail(fixture('inline-image-and-file.eml'), sink);
    assert.deepEqual(
      email.attachments.map((a) => ({
        id: a.id,
        kind: a.kind,
        filename: a.filename,
        content_type: a.content_type,
        content_id: a.content_id,
        inline: a.inline,
      })),
      [
        {
          id: 'att-1',
          kind: 'image',
          filename: 'logo.png',
          content_type: 'image/png',
          content_id: 'logo.123@acme.test',
          inline: true,
        },
        {
          id: 'att-2',
          kind: 'file',
          filename: 'Résumé 2025.pdf',
          content_type: 'application/pdf',
          content_id: null,
          inline: false,
        },
        {
          id: 'att-3',
          kind: 'image',
          filename: 'image-1.jpeg',
          content_type: 'image/jpeg',
          content_id: null,
          inline: false,
        },
        {
          id: 'att-4',
          kind: 'file',
          filename: 'Übersicht.xlsx',
          content_type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          content_id: null,
          inline: false,
        },
        // A path in the name is dropped: only the last segment is a name.
        {
          id: 'att-5',
          kind: 'file',
          filename: 'passwd',
          content_type: 'text/plain',
          content_id: null,
          inline: false,
        },
      ],
    );
    const pdf = sink.stored[1];
    assert.equal(pdf?.content?.toString(), '%PDF-1.4\n% tiny test file\n%%EOF\n');
    assert.equal(email.attachments[1]?.size_bytes, pdf?.content?.length);
    // The sink's checksum wins over the parser's own sha256.
    assert.match(email.attachments[1]?.checksum ?? '', /^md5:[0-9a-f]{32}$/);
    assert.equal(sink.stored[0]?.meta.disposition, 'inline');
    assert.equal(
      email.attachments.every((a) => !a.truncated),
      true,
    );
    assert.match(email.html ?? '', /cid:logo\.123@acme\.test/);
    assert.match(email.text, /See the screenshot:/);
  });

  test('broken MIME: header garbage, a bad date, bad base64 and no closing boundary still parse', async () => {
    const email = await parse('broken-mime.eml');
    assert.equal(email.subject, 'Broken message');
    assert.equal(email.message_id, 'broken-0011@example.com');
    assert.equal(email.date, null);
    assert.match(email.text, /The body text survives\./);
    assert.equal(email.attachments.length, 1);
    assert.equal(email.attachments[0]?.filename, 'report.pdf');
  });

  test('garbage input yields an empty record, never a throw', async () => {
    for (const raw of [
      Buffer.alloc(0),
      Buffer.from('\0\0\0\xff\xfe'),
      Buffer.from('no headers here, just text'),
      Buffer.from('Content-Type: multipart/mixed; boundary=""\n\n--\n--\n'),
      Buffer.from('Subject: =?utf-8?B?###?=\nFrom: <<<@>>>\nDate: 99999999\n\nx'),
    ]) {
      const email = await parseEmail(raw, collectingSink());
      assert.equal(typeof email.text, 'string');
      assert.equal(email.date, null);
      assert.equal(email.from, null);
    }
  });

  test('leading blank lines and an mbox From_ line do not hide the headers', async () => {
    const raw = Buffer.from(
      '\r\n  \r\nFrom jane@example.com Tue Mar  4 10:12:00 2025\r\nFrom: jane@example.com\r\nSubject: Hi\r\n\r\nBody\r\n',
    );
    const email = await parseEmail(raw, collectingSink());
    assert.equal(email.subject, 'Hi');
    assert.equal(email.from?.address, 'jane@example.com');
    assert.equal(email.text.trim(), 'Body');
  });

  test('bare-CR line ends (classic Mac) are read as line ends', async () => {
    const raw = Buffer.from('From: jane@example.com\rSubject: Old Mac\r\rHello\rthere\r');
    const email = await parseEmail(raw, collectingSink());
    assert.equal(email.subject, 'Old Mac');
    assert.equal(email.text.trim(), 'Hello\nthere');
  });
});
