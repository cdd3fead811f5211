// The inline cut of large bodies (never half a UTF-8 character) and the
// chunked encoding they are streamed to GridFS with (never half a surrogate pair).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { truncateUtf8, utf8Chunks } from '../../../src/inbound/ingest/large-bodies.ts';

describe('truncateUtf8', () => {
  test('text that fits is returned as is', () => {
    assert.equal(truncateUtf8('héllo', 6), 'héllo');
    assert.equal(truncateUtf8('', 0), '');
  });

  test('the cut never splits a character, whatever its width', () => {
    // 1-, 2-, 3- and 4-byte characters (the last a surrogate pair in UTF-16).
    const text = 'a é € 😀 '.repeat(50);
    for (let max = 0; max <= Buffer.byteLength(text); max++) {
      const cut = truncateUtf8(text, max);
      const bytes = Buffer.byteLength(cut);
      assert.ok(bytes <= max, `${bytes} > ${max}`);
      assert.ok(text.startsWith(cut), `a prefix at ${max}`);
      assert.ok(!cut.includes('\uFFFD'), `no replacement character at ${max}`);
      // The longest such prefix: one more character would not fit.
      const next = text.slice(
        cut.length,
        cut.length + (text.codePointAt(cut.length)! > 0xffff ? 2 : 1),
      );
      assert.ok(bytes + Buffer.byteLength(next) > max || cut === text, `longest at ${max}`);
    }
  });
});

describe('utf8Chunks', () => {
  test('the chunks join to the UTF-8 of the text, a pair split at a chunk edge kept whole', () => {
    // Put a surrogate pair across the 64 Ki-unit boundary.
    const text = `${'x'.repeat(64 * 1024 - 1)}😀${'é'.repeat(70_000)}`;
    const chunks = [...utf8Chunks(text)];
    assert.ok(chunks.length > 1);
    assert.ok(Buffer.concat(chunks).equals(Buffer.from(text, 'utf8')));
    for (const chunk of chunks) assert.ok(!chunk.toString('utf8').includes('\uFFFD'));
  });
});
