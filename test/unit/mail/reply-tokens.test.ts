// Reply tokens (plus address, case tag) and subject normalisation.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extractReplyToken, normalizeSubject } from '../../../src/mail/parse/index.ts';

describe('extractReplyToken', () => {
  const mailbox = 'support@acme.test';

  test('the plus token of the mailbox address, case-insensitively', () => {
    assert.deepEqual(
      extractReplyToken(['jane@example.com', 'Support+c7F3a9@ACME.test'], 'Re: help', mailbox),
      {
        plus_token: 'c7F3a9',
        case_number: null,
      },
    );
  });

  test('the first matching address wins', () => {
    assert.equal(
      extractReplyToken(['support+one@acme.test', 'support+two@acme.test'], '', mailbox).plus_token,
      'one',
    );
  });

  test('another domain, another local part, or no token: none', () => {
    for (const address of [
      'support+x@other.test',
      'sales+x@acme.test',
      'support@acme.test',
      'support+@acme.test',
      'supportx+y@acme.test',
      'not an address',
    ]) {
      assert.equal(extractReplyToken([address], '', mailbox).plus_token, null, address);
    }
  });

  test('angle brackets around the address are tolerated', () => {
    assert.equal(
      extractReplyToken(['<support+abc@acme.test>'], '', '<support@acme.test>').plus_token,
      'abc',
    );
  });

  test('the case number from a [#n] tag', () => {
    assert.equal(extractReplyToken([], 'Re: [#1234] My router', mailbox).case_number, 1234);
    assert.equal(extractReplyToken([], 'AW: Re: [#7] x [#8]', mailbox).case_number, 7);
    for (const subject of [
      '#1234 without brackets',
      '[# 12]',
      '[#]',
      '[#0]',
      '[#99999999999999999999]',
      '',
    ]) {
      assert.equal(extractReplyToken([], subject, mailbox).case_number, null, subject);
    }
  });
});

describe('normalizeSubject', () => {
  const cases: [string, string][] = [
    ['Re: My router', 'My router'],
    ['RE: Fwd: FW: re: My router', 'My router'],
    ['AW: WG: Rechnung', 'Rechnung'],
    ['SV: VS: Faktura', 'Faktura'],
    ['Antw: Re[2]: Bestelling', 'Bestelling'],
    ['Re(3): Re^2: x', 'x'],
    ['TR: RE : Facture', 'Facture'],
    ['Odp: Re: zamówienie', 'zamówienie'],
    ['回复：订单', '订单'],
    ['Re: [#1234] My   router\t keeps  rebooting', 'My router keeps rebooting'],
    ['[#1234] Re: help', 'help'],
    ['  spaced   out  ', 'spaced out'],
    ['Regarding: prices', 'Regarding: prices'],
    ['Research results', 'Research results'],
    ['R: data frames', 'R: data frames'],
    ['Re:', ''],
    ['', ''],
  ];
  for (const [subject, expected] of cases) {
    test(JSON.stringify(subject), () => {
      assert.equal(normalizeSubject(subject), expected);
    });
  }
});
