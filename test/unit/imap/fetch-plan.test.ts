import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunk, groupBySize, pendingUids, uidSet } from '../../../src/mail/imap/fetch-plan.ts';

describe('fetch plan', () => {
  test('pendingUids drops the highest UID that UID SEARCH n:* returns even below n', () => {
    // Server has UIDs up to 7; "UID SEARCH UID 8:*" answers 7.
    assert.deepEqual(pendingUids([7], 7), []);
    assert.deepEqual(pendingUids([12, 9, 9, 10, 3], 8), [9, 10, 12]);
  });

  test('chunk splits in order and refuses a silly size', () => {
    assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(chunk([], 50), []);
    assert.throws(() => chunk([1], 0), RangeError);
  });

  test('groupBySize bounds the bytes of a group; a huge message goes alone', () => {
    const sizes = [100, 200, 300, 5_000, 50, 50].map((size, i) => ({ uid: i + 1, size }));
    const groups = groupBySize(sizes, 600).map((group) => group.map((item) => item.uid));
    assert.deepEqual(groups, [[1, 2, 3], [4], [5, 6]]);
    assert.deepEqual(groupBySize([], 10), []);
  });

  test('uidSet compresses consecutive runs', () => {
    assert.equal(uidSet([3, 4, 5, 6, 7, 9, 12, 13]), '3:7,9,12:13');
    assert.equal(uidSet([5, 1, 2, 2]), '1:2,5');
    assert.equal(uidSet([42]), '42');
  });
});
