import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { estimateTokens } from '../../../src/agents/rules/token-estimate.ts';

describe('estimateTokens', () => {
  test('about four characters per token for spaced scripts, rounded up', () => {
    assert.equal(estimateTokens(''), 0);
    assert.equal(estimateTokens('a'), 1);
    assert.equal(estimateTokens('abcd'), 1);
    assert.equal(estimateTokens('abcde'), 2);
    assert.equal(estimateTokens('x'.repeat(400)), 100);
    assert.equal(estimateTokens('Größe'), 2);
    assert.equal(estimateTokens('возврат!'), 2);
  });

  test('one token per character for CJK, kana, Hangul and Thai', () => {
    assert.equal(estimateTokens('退款申请'), 4);
    assert.equal(estimateTokens('ありがとう'), 5);
    assert.equal(estimateTokens('환불'), 2);
    assert.equal(estimateTokens('คืนเงิน'), 7);
  });

  test('mixed text adds both parts; emoji count one each', () => {
    assert.equal(estimateTokens('我想要 refund'), 3 + 2);
    assert.equal(estimateTokens('👍👍👍👍'), 4);
  });

  test('monotonic: more text never estimates fewer tokens', () => {
    let previous = 0;
    let text = '';
    for (const piece of ['Hello', ' 世界', '!', ' ありがとう', ' ok']) {
      text += piece;
      const now = estimateTokens(text);
      assert.ok(now >= previous);
      previous = now;
    }
  });
});
