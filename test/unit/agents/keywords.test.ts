import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  firstKeywordMatch,
  matchesKeyword,
  normalizeKeywords,
} from '../../../src/agents/rules/keywords.ts';

function check(keywords: string[], cases: [string, boolean][]): void {
  for (const [text, expected] of cases) {
    assert.equal(
      matchesKeyword(text, keywords),
      expected,
      `${JSON.stringify(text)} vs ${JSON.stringify(keywords)}`,
    );
  }
}

describe('matchesKeyword', () => {
  test('whole words only, any case, around punctuation', () => {
    check(
      ['refund'],
      [
        ['I want a refund', true],
        ['REFUND!', true],
        ['Refund?', true],
        ['(refund)', true],
        ['"refund"', true],
        ['refund,please', true],
        ["refund's status", true],
        ['refund_request', true],
        ['refunds', false],
        ['refunded', false],
        ['prerefund', false],
        ['re-fund', false],
        ['r e f u n d', false],
        ['', false],
      ],
    );
  });

  test('Unicode letters are word characters (no ASCII \\b)', () => {
    check(
      ['Rückerstattung'],
      [
        ['Ich möchte eine rückerstattung', true],
        ['RÜCKERSTATTUNG bitte', true],
        ['Rückerstattungsantrag', false],
        ['Rückerstattung.', true],
      ],
    );
    check(
      ['возврат'],
      [
        ['Хочу ВОЗВРАТ денег', true],
        ['возврата', false],
      ],
    );
    check(
      ['café'],
      [
        ['un cafe\u0301 noir', true], // decomposed é matches after NFC
        ['cafés', false],
      ],
    );
    check(
      ['straße'],
      [
        ['STRASSE', false],
        ['Straße', true],
        ['STRAẞE', true],
      ],
    );
    check(
      ['रिफंड'],
      [
        ['मुझे रिफंड चाहिए', true],
        ['रिफंडों', false],
      ],
    );
  });

  test('CJK, kana, Hangul and Thai keywords match as substrings (no spaces between words)', () => {
    check(
      ['退款'],
      [
        ['我想退款。', true],
        ['退款', true],
        ['退货', false],
      ],
    );
    check(['返金'], [['返金してください', true]]);
    check(['キャンセル'], [['注文をキャンセルしたい', true]]);
    check(['환불'], [['환불을 원해요', true]]);
    check(['คืนเงิน'], [['ฉันต้องการคืนเงินค่ะ', true]]);
  });

  test('mixed keywords: each edge decides on its own', () => {
    check(
      ['iPhone 退款'],
      [
        ['我的iPhone 退款了', false],
        ['我的 iPhone 退款了', true],
      ],
    );
    check(
      ['退款ok'],
      [
        ['退款ok', true],
        ['退款okay', false],
      ],
    );
  });

  test('phrases match word by word across any whitespace', () => {
    check(
      ['money back'],
      [
        ['I want my money back!', true],
        ['MONEY   BACK', true],
        ['money\nback', true],
        ['money-back', false],
        ['moneyback', false],
        ['money backs', false],
        ['my money is back', false],
      ],
    );
  });

  test('regex special characters are literal; punctuation edges need no boundary', () => {
    check(
      ['c++'],
      [
        ['I write C++ daily', true],
        ['C++.', true],
        ['(c++)', true],
        ['abc++', false],
        ['c', false],
        ['cc', false],
      ],
    );
    check(
      ['.net'],
      [
        ['we use .NET here', true],
        ['dotnet', false],
      ],
    );
    check(
      ['a.b'],
      [
        ['a.b', true],
        ['axb', false],
      ],
    );
    check(
      ['(urgent)'],
      [
        ['this is (URGENT)', true],
        ['urgent', false],
      ],
    );
    check(
      ['[p1]'],
      [
        ['[P1] outage', true],
        ['p', false],
      ],
    );
    check(
      ['$5 off'],
      [
        ['get $5 off now', true],
        ['get 5 off', false],
      ],
    );
    check(
      ['what?'],
      [
        ['what?', true],
        ['wha', false],
      ],
    );
    check(
      ['a|b'],
      [
        ['a', false],
        ['b', false],
        ['a|b', true],
      ],
    );
    check(
      ['\\d+'],
      [
        ['123', false],
        ['\\d+', true],
      ],
    );
  });

  test('several keywords: any one matches, the first in list order is reported', () => {
    assert.equal(firstKeywordMatch('cancel and refund', ['refund', 'cancel']), 'refund');
    assert.equal(firstKeywordMatch('nothing here', ['refund', 'cancel']), null);
    assert.equal(firstKeywordMatch(null, ['refund']), null);
    assert.equal(matchesKeyword('refund', []), false);
    assert.equal(matchesKeyword('refund', ['', '  ']), false);
  });

  test('keywords are trimmed before matching', () => {
    check(['  refund  '], [['refund', true]]);
    assert.equal(firstKeywordMatch('a Refund', [' refund ']), 'refund');
  });
});

describe('normalizeKeywords', () => {
  test('trims, collapses inner whitespace, drops empties, dedupes case-insensitively, keeps order', () => {
    assert.deepEqual(
      normalizeKeywords([' Refund ', 'refund', '', '   ', 'money \t back', 'REFUND', 'cancel']),
      ['Refund', 'money back', 'cancel'],
    );
  });

  test('NFC: composed and decomposed spellings are one keyword', () => {
    assert.deepEqual(normalizeKeywords(['café', 'cafe\u0301']), ['café']);
  });
});
