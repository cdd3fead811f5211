import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mentions } from '../../../src/agents/rules/mentions.ts';

const drafter = { handle: 'drafter', name: 'Drafter' };
const billing = { handle: 'billing.bot-2_x', name: 'Billing Bot' };

function check(
  target: { handle: string | null; name: string | null },
  cases: [string, boolean][],
): void {
  for (const [text, expected] of cases) {
    assert.equal(
      mentions(text, target),
      expected,
      `${JSON.stringify(text)} should ${expected ? '' : 'not '}mention`,
    );
  }
}

describe('mentions', () => {
  test('@handle as a whole token, any case, around punctuation', () => {
    check(drafter, [
      ['@drafter', true],
      ['@Drafter, can you answer?', true],
      ['(@drafter)', true],
      ['[@DRAFTER]', true],
      ['"@drafter"', true],
      ['cc @drafter: please', true],
      ['thanks @drafter.', true],
      ['thanks @drafter!', true],
      ['@drafter?', true],
      ["@drafter's draft", true],
      ['line one\n@drafter\nline three', true],
      ['hey—@drafter', true],
    ]);
  });

  test('not part of a longer handle, an email address or a URL', () => {
    check(drafter, [
      ['@drafterbot', false],
      ['@drafter2', false],
      ['@drafter_x', false],
      ['@drafter-x', false],
      ['@drafter.bot', false],
      ['email@drafter.com', false],
      ['x@drafter', false],
      ['@@drafter', false],
      ['@drafter@acme.test', false],
      ['https://social.example/@drafter', false],
      ['drafter', false],
      ['@ drafter', false],
      ['@draft', false],
    ]);
  });

  test('handles may contain ".", "-" and "_"; a sentence-final "." is not part of them', () => {
    check(billing, [
      ['@billing.bot-2_x', true],
      ['ask @Billing.Bot-2_X.', true],
      ['ask @billing.bot-2_x.y', false],
      ['ask @billing.bot', false],
    ]);
  });

  test('names with spaces match as the full name, across any whitespace', () => {
    check(billing, [
      ['hey @Billing Bot, refund?', true],
      ['hey @billing  bot', true],
      ['hey @billing\nbot', true],
      ['hey @Billing', false],
      ['hey @Billing Botany', false],
      ['hey @BillingBot', false],
    ]);
  });

  test('Unicode handles and names, case-insensitive, NFC and NFD alike', () => {
    const target = { handle: 'zoë', name: 'Ассистент Поддержки' };
    check(target, [
      ['@ZOË hilf mir', true],
      ['@zoe\u0308 hilf mir', true], // decomposed ë
      ['@zoëbot', false],
      ['спасибо, @ассистент поддержки!', true],
      ['@Ассистент', false],
    ]);
    check({ handle: null, name: '助手' }, [
      ['请@助手 回复', true],
      ['(@助手)', true],
      ['@助手们', false],
    ]);
  });

  test('regex characters in a name are literal', () => {
    check({ handle: null, name: 'C++ Helper (beta)' }, [
      ['@c++ helper (beta) please', true],
      ['@c helper beta', false],
    ]);
  });

  test('a configured leading "@" is ignored; empty targets and texts never match', () => {
    check({ handle: '@drafter', name: null }, [['@drafter', true]]);
    assert.equal(mentions('@drafter', { handle: null, name: null }), false);
    assert.equal(mentions('@', { handle: '', name: '  ' }), false);
    assert.equal(mentions(null, drafter), false);
    assert.equal(mentions('', drafter), false);
  });
});
