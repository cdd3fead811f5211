// extractNewText: the quoted-history and signature shapes of the common mail
// clients, the bottom-posting and forwarding cases, and linear running time.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extractNewText } from '../../../src/mail/parse/index.ts';

const cases: [string, string, string][] = [
  [
    'Gmail, attribution wrapped over two lines',
    'Thanks, that fixed it.\n\nOn Tue, Mar 4, 2025 at 10:12 AM Acme Support <\nsupport@acme.test> wrote:\n\n> Hi Jane,\n> restart the router.\n',
    'Thanks, that fixed it.',
  ],
  [
    'Apple Mail, quoted attribution and a mobile signature',
    'Sounds good.\n\nSent from my iPhone\n\n> On 4 Mar 2025, at 10:12, Acme Support <support@acme.test> wrote:\n> \n> Hi\n',
    'Sounds good.',
  ],
  ['Thunderbird', 'Yes.\n\nOn 04.03.25 10:12, Acme Support wrote:\n> Old text\n', 'Yes.'],
  [
    'Outlook desktop, Original Message separator',
    'Please cancel.\r\n\r\n-----Original Message-----\r\nFrom: Acme Support [mailto:support@acme.test]\r\nSent: Tuesday, March 4, 2025 10:12 AM\r\nTo: Jane\r\nSubject: RE: order\r\n\r\nHi Jane\r\n',
    'Please cancel.',
  ],
  [
    'Outlook, From/Sent block under a rule',
    'Works now\n\n________________________________\nFrom: Acme Support <support@acme.test>\nSent: Tuesday, March 4, 2025 10:12\nTo: Jane Doe <jane@example.com>\nSubject: Re: order\n\nOld text',
    'Works now',
  ],
  [
    'Outlook in German, From block without a rule',
    'Danke!\n\nVon: Acme Support <support@acme.test>\nGesendet: Dienstag, 4. März 2025 10:12\nAn: Jane Doe\nBetreff: AW: Bestellung\n\nAlter Text',
    'Danke!',
  ],
  [
    'German Gmail: sender after the verb',
    'Passt.\n\nAm Di., 4. März 2025 um 10:12 Uhr schrieb Acme Support <support@acme.test>:\n> alt\n',
    'Passt.',
  ],
  [
    'French attribution',
    'Merci.\n\nLe mar. 4 mars 2025 à 10:12, Acme Support <support@acme.test> a écrit :\n> ancien\n',
    'Merci.',
  ],
  [
    'Spanish attribution',
    'Gracias.\n\nEl mar, 4 mar 2025 a las 10:12, Acme (<support@acme.test>) escribió:\n> viejo\n',
    'Gracias.',
  ],
  [
    'Dutch attribution',
    'Dank je.\n\nOp di 4 mrt. 2025 om 10:12 schreef Acme Support <support@acme.test>:\n> oud\n',
    'Dank je.',
  ],
  [
    'signature after "-- "',
    'Hello\n\nthe invoice is wrong.\n\n-- \nJane Doe\nExample Corp',
    'Hello\n\nthe invoice is wrong.',
  ],
  ['signature after "--" (trailing space stripped by the client)', 'Hi\n--\nJane', 'Hi'],
  [
    'inline answers between quotes',
    'On Tue, Mar 4, 2025 at 10:12 AM Acme <support@acme.test> wrote:\n> What is your order number?\n1234\n> And your postcode?\n10115\n',
    '1234\n10115',
  ],
  [
    'bottom-posting',
    'On 4 Mar 2025 Acme <support@acme.test> wrote:\n> Is it fixed?\n\nYes, it is fixed now.\n',
    'Yes, it is fixed now.',
  ],
  [
    'a forward without a note keeps the forwarded message',
    '---------- Forwarded message ---------\nFrom: Vendor <billing@vendor.example>\nDate: Mon, Mar 3, 2025 at 9:00 AM\nSubject: Invoice\nTo: Jane <jane@example.com>\n\nYour invoice is overdue.\n',
    'Your invoice is overdue.',
  ],
  [
    'a forward with a note keeps the note',
    'Can you check this?\n\nBegin forwarded message:\n\nFrom: Vendor <billing@vendor.example>\nSubject: Invoice\nDate: 3 March 2025\nTo: Jane\n\nOverdue.',
    'Can you check this?',
  ],
  [
    'a customer\'s own "From:" line is text',
    'From: my account page I get an error 500.\nPlease help.',
    'From: my account page I get an error 500.\nPlease help.',
  ],
  [
    'a customer\'s sentence starting with "On" is text',
    'On Monday I ordered a router.\nIt never arrived.',
    'On Monday I ordered a router.\nIt never arrived.',
  ],
  ['nothing to strip', 'Just a question.', 'Just a question.'],
  ['empty', '', ''],
];

describe('extractNewText', () => {
  for (const [name, text, expected] of cases) {
    test(name, () => {
      assert.equal(extractNewText(text), expected);
    });
  }

  test('runs in linear time on hostile input', () => {
    // The shapes that make backtracking regexes explode (see text-new.ts).
    const inputs = [
      '1234 from <x> '.repeat(20_000),
      'On 1 a\n'.repeat(40_000),
      'From: x\n'.repeat(40_000),
      `${'_'.repeat(30)}\n`.repeat(10_000),
      ' '.repeat(300_000) + 'x',
    ];
    for (const text of inputs) {
      const started = performance.now();
      extractNewText(text);
      // Generous: a linear pass takes a few ms here; a quadratic one takes minutes.
      assert.ok(performance.now() - started < 5_000);
    }
  });
});
