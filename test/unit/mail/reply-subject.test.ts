import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { replySubject } from '../../../src/mail/reply-subject.ts';

describe('replySubject', () => {
  const cases: [string | null | undefined, string][] = [
    ['Refund for order 1001', 'Re: Refund for order 1001'],
    ['Re: Refund', 'Re: Refund'],
    ['RE: Refund', 'Re: Refund'],
    ['re:Refund', 'Re: Refund'],
    ['Re: Re: RE: Refund', 'Re: Refund'],
    ['AW: Rechnung', 'Re: Rechnung'],
    ['Fwd: Invoice', 'Re: Invoice'],
    ['FW: Invoice', 'Re: Invoice'],
    ['Re: Fwd: AW: SV: Invoice', 'Re: Invoice'],
    ['Re[2]: Invoice', 'Re: Invoice'],
    ['Re(3): Invoice', 'Re: Invoice'],
    ['Antw: Vraag', 'Re: Vraag'],
    ['回复：退款', 'Re: 退款'],
    ['Réf : Commande', 'Re: Commande'],
    // Case tags stay (the reply-token rule threads by them), prefixes around them go.
    ['[#42] Refund', 'Re: [#42] Refund'],
    ['Re: [#42] Re: Refund', 'Re: [#42] Refund'],
    ['[#42] RE: Re[2]: Refund', 'Re: [#42] Refund'],
    ['Refund [#42]', 'Re: Refund [#42]'],
    // Not prefixes: words that start like one.
    ['Recipe ideas', 'Re: Recipe ideas'],
    ['Rework: plan', 'Re: Rework: plan'],
    ['Result: pass', 'Re: Result: pass'],
    ['R: data frames', 'Re: R: data frames'],
    // Empty and blank.
    ['', 'Re: (no subject)'],
    ['   ', 'Re: (no subject)'],
    [null, 'Re: (no subject)'],
    [undefined, 'Re: (no subject)'],
    ['Re:', 'Re: (no subject)'],
    ['Re: Fwd:', 'Re: (no subject)'],
    // One line, whitespace collapsed: a line break would end the header.
    ['Hello\r\nBcc: victim@x.test', 'Re: Hello Bcc: victim@x.test'],
    ['  Many   spaces  ', 'Re: Many spaces'],
  ];
  for (const [subject, expected] of cases) {
    test(`${JSON.stringify(subject)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(replySubject(subject), expected);
    });
  }

  test('idempotent: the reply to a reply has the same subject', () => {
    for (const [subject] of cases) {
      const once = replySubject(subject);
      assert.equal(replySubject(once), once);
    }
  });

  test('a hundred prefixes are still finite work', () => {
    assert.equal(replySubject(`${'Re: '.repeat(500)}Loop`).startsWith('Re: '), true);
  });
});
