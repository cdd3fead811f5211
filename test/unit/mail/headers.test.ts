// The header layer: framing repairs, the tolerant header reader, message-id
// lists, dates, addresses and attachment names.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAddressList } from '../../../src/mail/parse/addresses.ts';
import { cleanFilename, generatedFilename } from '../../../src/mail/parse/attachment-names.ts';
import { parseDate } from '../../../src/mail/parse/date.ts';
import { allValues, firstValue, readHeaderBlock } from '../../../src/mail/parse/header-block.ts';
import {
  MAX_REFERENCES,
  parseMessageId,
  parseMessageIds,
  parseReferences,
} from '../../../src/mail/parse/message-ids.ts';
import { prepareRaw } from '../../../src/mail/parse/prepare-raw.ts';

describe('prepareRaw', () => {
  const text = (raw: string) => prepareRaw(Buffer.from(raw, 'latin1')).toString('latin1');

  test('drops a BOM, leading blank lines and an mbox From_ line', () => {
    assert.equal(text('\xef\xbb\xbfFrom: a@b\n\nx'), 'From: a@b\n\nx');
    assert.equal(text('\n \r\nFrom: a@b\n'), 'From: a@b\n');
    assert.equal(text('\r\n\r\nSubject: x\r\n\r\nbody'), 'Subject: x\r\n\r\nbody');
    assert.equal(
      text('From jane@example.com Tue Mar  4 10:12:00 2025\nFrom: jane@example.com\n'),
      'From: jane@example.com\n',
    );
  });

  test('keeps a leading blank line that starts a headerless body', () => {
    assert.equal(text('\njust a body line\n'), '\njust a body line\n');
  });

  test('turns bare CR line ends into LF, and leaves CRLF alone', () => {
    assert.equal(text('A: 1\rB: 2\r\rbody'), 'A: 1\nB: 2\n\nbody');
    assert.equal(text('A: 1\r\n\r\nbody'), 'A: 1\r\n\r\nbody');
  });
});

describe('readHeaderBlock', () => {
  test('unfolds, lower-cases names, keeps repeats in order and skips garbage lines', () => {
    const block = readHeaderBlock(
      Buffer.from(
        'Subject: a\r\n  long\r\n\tsubject\r\nnot a header\r\nReceived: one\r\nX-Odd : spaced\r\nRECEIVED: two\r\n\r\nBody: no\r\n',
      ),
      1024,
    );
    assert.deepEqual(block.fields, [
      { name: 'subject', value: 'a long subject' },
      { name: 'received', value: 'one' },
      { name: 'x-odd', value: 'spaced' },
      { name: 'received', value: 'two' },
    ]);
    assert.equal(firstValue(block.fields, 'subject'), 'a long subject');
    assert.deepEqual(allValues(block.fields, 'received'), ['one', 'two']);
    assert.equal(firstValue(block.fields, 'body'), null);
    assert.equal(block.truncated, false);
  });

  test('8-bit values: UTF-8 when valid, else Windows-1252 with a flag', () => {
    const utf8 = readHeaderBlock(Buffer.from('Subject: Grüße\n\n'), 1024);
    assert.equal(firstValue(utf8.fields, 'subject'), 'Grüße');
    assert.equal(utf8.nonUtf8, false);
    const latin = readHeaderBlock(Buffer.from('Subject: Gr\xfc\xdfe \x80\n\n', 'latin1'), 1024);
    assert.equal(firstValue(latin.fields, 'subject'), 'Grüße €');
    assert.equal(latin.nonUtf8, true);
  });

  test('control characters and NUL are dropped from values', () => {
    const block = readHeaderBlock(Buffer.from('Subject: a\0b\x07c\rd\n\n'), 1024);
    assert.equal(firstValue(block.fields, 'subject'), 'abcd');
  });

  test('a block over the limit is truncated at the last whole line', () => {
    const raw = Buffer.from(`A: 1\nB: 2\nC: ${'x'.repeat(100)}\n\nbody`);
    const block = readHeaderBlock(raw, 20);
    assert.equal(block.truncated, true);
    assert.deepEqual(
      block.fields.map((f) => f.name),
      ['a', 'b'],
    );
  });

  test('a message that ends inside its headers is complete, not truncated', () => {
    const block = readHeaderBlock(Buffer.from('A: 1\nB: 2'), 1024);
    assert.equal(block.truncated, false);
    assert.deepEqual(
      block.fields.map((f) => f.value),
      ['1', '2'],
    );
  });
});

describe('message ids', () => {
  test('bracketed, run together, with phrases and comments', () => {
    assert.deepEqual(parseMessageIds('<a@x> <b@y>'), ['a@x', 'b@y']);
    assert.deepEqual(parseMessageIds('<a@x><b@y>'), ['a@x', 'b@y']);
    assert.deepEqual(parseMessageIds('<a@x>,\t<b@y>'), ['a@x', 'b@y']);
    assert.deepEqual(parseMessageIds('Jane\'s message of "Tue, 4 Mar" <a@x>'), ['a@x']);
    assert.deepEqual(parseMessageIds('<a@x> (comment)'), ['a@x']);
    assert.deepEqual(parseMessageIds('<a@\r\n x>'), ['a@x']);
    assert.deepEqual(parseMessageIds('<>'), []);
  });

  test('bare ids without brackets', () => {
    assert.deepEqual(parseMessageIds('a@x b@y junk'), ['a@x', 'b@y']);
    assert.equal(parseMessageId('a@x'), 'a@x');
    assert.equal(parseMessageId('  12345.ABC  '), '12345.ABC');
    assert.equal(parseMessageId('two words'), null);
    assert.equal(parseMessageId(''), null);
    assert.equal(parseMessageId(null), null);
  });

  test('Message-ID keeps its case and takes the first id', () => {
    assert.equal(
      parseMessageId(' <CAF=Ab.Cd@Mail.Example.COM> <second@x>'),
      'CAF=Ab.Cd@Mail.Example.COM',
    );
  });

  test('references: in order, deduplicated, across repeated headers, the last 50', () => {
    assert.deepEqual(parseReferences(['<a@x> <b@x> <a@x>', '<c@x>']), ['a@x', 'b@x', 'c@x']);
    const many = Array.from({ length: 80 }, (_, i) => `<id${i}@x>`).join(' ');
    const refs = parseReferences([many]);
    assert.equal(refs.length, MAX_REFERENCES);
    assert.equal(refs[0], 'id30@x');
    assert.equal(refs.at(-1), 'id79@x');
  });
});

describe('parseDate', () => {
  const cases: [string, string | null][] = [
    ['Tue, 4 Mar 2025 10:12:00 +0100', '2025-03-04T09:12:00.000Z'],
    ['Tue, 4 Mar 2025 10:12:00 +0100 (CET)', '2025-03-04T09:12:00.000Z'],
    ['4 Mar 2025 10:12:00 GMT', '2025-03-04T10:12:00.000Z'],
    ['Tue,  4 Mar 2025\r\n 10:12:00 -0500', '2025-03-04T15:12:00.000Z'],
    ['Mon, 24 Nov 97 14:22:01 -0800', '1997-11-24T22:22:01.000Z'],
    // RFC 5322 4.3: no zone, or a zone name nobody defined, means -0000 (UTC),
    // whatever the server's own time zone is.
    ['Tue, 4 Mar 2025 10:12:00', '2025-03-04T10:12:00.000Z'],
    ['Tue, 4 Mar 2025 10:12:00 CET', '2025-03-04T10:12:00.000Z'],
    ['Tue, 4 Mar 2025 10:12 +0100 CET', '2025-03-04T09:12:00.000Z'],
    ['Tuesday, March 4, 2025 10:12 PM', '2025-03-04T22:12:00.000Z'],
    ['Tue, 4 Mar 2025', '2025-03-04T00:00:00.000Z'],
    ['2025-03-04T10:12:00Z', '2025-03-04T10:12:00.000Z'],
    ['sometime last week', null],
    ['99999999', null],
    ['Mon, 1 Jan 3025 00:00:00 +0000', null],
    ['', null],
  ];
  for (const [value, expected] of cases) {
    test(JSON.stringify(value), () => {
      assert.equal(parseDate(value)?.toISOString() ?? null, expected);
    });
  }
});

describe('parseAddressList', () => {
  test('names decoded, groups flattened, domains lower-cased, duplicates and junk dropped', () => {
    assert.deepEqual(
      parseAddressList([
        '"Doe, Jane" <Jane@Example.COM>, =?utf-8?Q?J=C3=BCrgen?= <j@x.de>',
        'Team: a@b.c, jane@example.com;',
        '<>, @, a@, undisclosed-recipients:;',
      ]),
      [
        { name: 'Doe, Jane', address: 'Jane@example.com' },
        { name: 'Jürgen', address: 'j@x.de' },
        { name: '', address: 'a@b.c' },
      ],
    );
  });
});

describe('attachment names', () => {
  test('path parts and control characters removed, long names cut keeping the extension', () => {
    assert.equal(cleanFilename('../../etc/passwd'), 'passwd');
    assert.equal(cleanFilename('C:\\Users\\jane\\report.pdf'), 'report.pdf');
    assert.equal(cleanFilename('in\u0000voice\r\n.pdf'), 'invoice.pdf');
    assert.equal(cleanFilename('..'), '');
    assert.equal(cleanFilename(undefined), '');
    const long = cleanFilename(`${'a'.repeat(300)}.docx`);
    assert.equal(long.length, 200);
    assert.ok(long.endsWith('.docx'));
  });

  test('generated from the content type', () => {
    assert.equal(generatedFilename('image/png', 1), 'image-1.png');
    assert.equal(generatedFilename('application/octet-stream', 1), 'attachment-1.bin');
    assert.equal(generatedFilename('application/pdf', 2), 'attachment-2.pdf');
    assert.equal(generatedFilename('message/rfc822', 1), 'attachment-1.eml');
    assert.equal(generatedFilename('message/delivery-status', 1), 'attachment-1.txt');
    assert.equal(generatedFilename('x-unknown/thing', 3), 'attachment-3.bin');
  });
});
