import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { attemptsInBudget } from '../../../src/delivery/budget.ts';

describe('attempt budget', () => {
  test('every attempt counts until a retry; then only those since', () => {
    assert.equal(attemptsInBudget(null), 0);
    assert.equal(attemptsInBudget({ attempts: 3 }), 3, 'older documents: no budget_start');
    assert.equal(attemptsInBudget({ attempts: 3, budget_start: 0 }), 3);
    assert.equal(attemptsInBudget({ attempts: 3, budget_start: 3 }), 0, 'just retried');
    assert.equal(attemptsInBudget({ attempts: 5, budget_start: 3 }), 2);
  });
});
