import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { editDistance, measureEdit } from '../../../src/approval/edit-distance.ts';

/** The textbook full-table definition, as the reference. */
function reference(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  const table = Array.from({ length: x.length + 1 }, (_, i) =>
    Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const row = table[i] as number[];
      const previous = table[i - 1] as number[];
      row[j] = Math.min(
        (previous[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1),
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
      );
    }
  }
  return (table[x.length] as number[])[y.length] as number;
}

/** A deterministic generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomText(random: () => number, length: number, alphabet = 'abcd'): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

function mutate(random: () => number, text: string, edits: number): string {
  const chars = Array.from(text);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (chars.length + 1));
    const op = random();
    if (op < 0.33 && chars.length > 0) chars.splice(Math.min(at, chars.length - 1), 1);
    else if (op < 0.66) chars.splice(at, 0, 'x');
    else if (chars.length > 0) chars[Math.min(at, chars.length - 1)] = 'y';
  }
  return chars.join('');
}

describe('editDistance', () => {
  test('the classic cases', () => {
    assert.equal(editDistance('', ''), 0);
    assert.equal(editDistance('abc', ''), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('flaw', 'lawn'), 2);
    assert.equal(editDistance('same text', 'same text'), 0);
    assert.equal(editDistance('Dear Jane,', 'Dear Janet,'), 1);
  });

  test('is symmetric', () => {
    assert.equal(editDistance('saturday', 'sunday'), editDistance('sunday', 'saturday'));
  });

  test('counts code points: an emoji or an astral character is one edit', () => {
    assert.equal(editDistance('thanks 👍', 'thanks 👎'), 1);
    assert.equal(editDistance('a😀b', 'ab'), 1);
    assert.equal(editDistance('𝒜', 'A'), 1);
  });

  test('matches the reference on random texts', () => {
    const random = rng(42);
    for (let round = 0; round < 300; round++) {
      const a = randomText(random, Math.floor(random() * 30));
      const b =
        random() < 0.5 ? mutate(random, a, Math.floor(random() * 6)) : randomText(random, 20);
      assert.equal(editDistance(a, b), reference(a, b), `${a} / ${b}`);
    }
  });

  test('the banded path is exact when the edits fit the band', () => {
    const random = rng(7);
    for (let round = 0; round < 200; round++) {
      const a = randomText(random, 40 + Math.floor(random() * 40));
      const b = mutate(random, a, Math.floor(random() * 8));
      // A budget far below the full table forces the band (k ≈ 10 here).
      const measured = measureEdit(a, b, 21 * Math.max(a.length, b.length) + 1);
      const expected = reference(a, b);
      if (measured.exact) assert.equal(measured.distance, expected, `${a} / ${b}`);
      else assert.ok(measured.distance >= expected, 'an inexact result is an upper bound');
      if (expected <= 8 && Math.abs(a.length - b.length) <= 8) {
        assert.ok(measured.exact, `${expected} edits fit a band of 10`);
      }
    }
  });

  test('over the budget the result is an upper bound, flagged inexact', () => {
    const measured = measureEdit('abcdefghij', 'klmnopqrst', 20);
    assert.equal(measured.exact, false);
    assert.equal(measured.distance, 10);
  });

  test('long texts with scattered edits stay exact and fast', () => {
    const random = rng(99);
    const words = Array.from({ length: 20_000 }, () => randomText(random, 4, 'abcdefgh'));
    const draft = words.join(' ');
    const edited = mutate(random, draft, 40);
    const started = performance.now();
    const measured = measureEdit(draft, edited);
    const elapsed = performance.now() - started;
    assert.ok(draft.length > 90_000);
    assert.equal(measured.exact, true);
    assert.ok(measured.distance > 0 && measured.distance <= 40);
    assert.ok(elapsed < 2_000, `took ${elapsed} ms`);
  });

  test('two unrelated long texts are bounded, not quadratic', () => {
    const random = rng(5);
    const a = randomText(random, 100_000);
    const b = randomText(random, 100_000);
    const started = performance.now();
    const measured = measureEdit(a, b);
    assert.ok(performance.now() - started < 2_000);
    assert.equal(measured.exact, false);
    assert.equal(measured.distance, measureEdit(a, b).distance);
    assert.ok(measured.distance <= 100_000);
  });
});
