// The request body limits (a single pass over the text) and the canonical
// JSON behind the Idempotency-Key hash (iterative, stable across key order).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson } from '../../../src/api/canonical-json.ts';
import { ApiError } from '../../../src/api/errors.ts';
import { MAX_BODY_DEPTH, MAX_BODY_KEYS, checkJsonLimits } from '../../../src/api/request-limits.ts';

function refusal(text: string, depth?: number, keys?: number): string | null {
  try {
    checkJsonLimits(text, depth, keys);
    return null;
  } catch (error) {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 400);
    return error.code;
  }
}

describe('JSON body limits', () => {
  test('depth counts objects and arrays alike, up to the limit inclusive', () => {
    const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    assert.equal(refusal(nested(MAX_BODY_DEPTH)), null);
    assert.equal(refusal(nested(MAX_BODY_DEPTH + 1)), 'body_too_deep');
    assert.equal(
      refusal(`${'{"a":'.repeat(MAX_BODY_DEPTH + 1)}1${'}'.repeat(33)}`),
      'body_too_deep',
    );
    // Siblings do not add up: depth is how far down, not how many.
    assert.equal(refusal(`[${Array.from({ length: 1000 }, () => '[[]]').join(',')}]`), null);
  });

  test('keys are counted across the whole body', () => {
    const keys = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}`;
    assert.equal(refusal(keys(MAX_BODY_KEYS)), null);
    assert.equal(refusal(keys(MAX_BODY_KEYS + 1)), 'body_too_many_keys');
    assert.equal(refusal('[{"a":1},{"b":2},{"c":3}]', 32, 2), 'body_too_many_keys');
  });

  test('strings are text: brackets, colons and escaped quotes inside them do not count', () => {
    assert.equal(refusal(JSON.stringify({ a: '[[[[[[:::::{{{{' }), 2, 1), null);
    assert.equal(refusal(JSON.stringify({ a: 'say \\"[[[[\\" :' }), 1, 1), null);
    assert.equal(refusal('{"a\\\\":[[1]]}', 2), 'body_too_deep', 'an escaped backslash ends');
  });

  test('50,000 levels are refused at once, in linear time', () => {
    const deep = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    assert.equal(refusal(deep), 'body_too_deep');
  });
});

describe('canonical JSON', () => {
  test('sorts keys, drops undefined members, keeps array order', () => {
    assert.equal(
      canonicalJson({ b: 1, a: [3, { z: null, y: undefined, x: 'é"' }], c: undefined }),
      '{"a":[3,{"x":"é\\"","z":null}],"b":1}',
    );
    assert.equal(canonicalJson(undefined), 'null');
    assert.equal(canonicalJson([]), '[]');
    assert.equal(canonicalJson({}), '{}');
    assert.equal(canonicalJson([undefined, 1]), '[null,1]');
    assert.equal(canonicalJson({ b: 2, a: 1 }), canonicalJson({ a: 1, b: 2 }));
  });

  test('a value nested 100,000 deep does not overflow the stack', () => {
    let value: unknown = 1;
    for (let i = 0; i < 100_000; i++) value = i % 2 ? [value] : { a: value };
    const text = canonicalJson(value);
    assert.equal(text.length, 50_000 * '{"a":}'.length + 50_000 * '[]'.length + 1);
    assert.ok(text.startsWith('[{"a":[{"a":'));
  });
});
