import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideDedupe, reusedDecision } from '../../../src/conversations/dedupe.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const ID = 'order-42@shop.example';

function copy(id: string, hash: string | null, label: string) {
  return { label, email: { message_id: id, content_hash: hash } };
}

describe('inbound dedupe', () => {
  test('a Message-ID never seen: a new message under the plain id, not flagged', () => {
    assert.deepEqual(decideDedupe({ message_id: ID, content_hash: A }, []), {
      kind: 'new',
      dedupe_key: ID,
      reused: false,
    });
  });

  test('same id and same content: a duplicate of the stored copy', () => {
    const stored = [copy(ID, A, 'first')];
    const decision = decideDedupe({ message_id: ID, content_hash: A }, stored);
    assert.equal(decision.kind, 'duplicate');
    assert.equal(decision.kind === 'duplicate' && decision.of.label, 'first');
  });

  test('same id, other content: a new message of its own, flagged, keyed by id and hash', () => {
    assert.deepEqual(decideDedupe({ message_id: ID, content_hash: B }, [copy(ID, A, 'first')]), {
      kind: 'new',
      dedupe_key: `${ID}#${B}`,
      reused: true,
    });
  });

  test('a copy of the second mail under a reused id is its duplicate, not the first', () => {
    const stored = [copy(ID, A, 'first'), copy(ID, B, 'second')];
    const decision = decideDedupe({ message_id: ID, content_hash: B }, stored);
    assert.equal(decision.kind === 'duplicate' && decision.of.label, 'second');
    // A third content is a third message.
    assert.deepEqual(decideDedupe({ message_id: ID, content_hash: C }, stored), {
      kind: 'new',
      dedupe_key: `${ID}#${C}`,
      reused: true,
    });
  });

  test('a stored message without a content hash (older, or one we sent) dedupes by id alone', () => {
    for (const hash of [null, undefined]) {
      const legacy = { label: 'legacy', email: { message_id: ID, content_hash: hash } };
      const decision = decideDedupe({ message_id: ID, content_hash: B }, [legacy]);
      assert.equal(decision.kind === 'duplicate' && decision.of.label, 'legacy');
    }
    const noEmail = { label: 'bare', email: null };
    assert.equal(decideDedupe({ message_id: ID, content_hash: B }, [noEmail]).kind, 'duplicate');
  });

  test('a matching hash wins over an older copy without one', () => {
    const stored = [copy(ID, null, 'legacy'), copy(ID, B, 'hashed')];
    const decision = decideDedupe({ message_id: ID, content_hash: B }, stored);
    assert.equal(decision.kind === 'duplicate' && decision.of.label, 'hashed');
  });

  test('the reused key is the id and the hash, deterministic for one content', () => {
    const one = reusedDecision({ message_id: ID, content_hash: B });
    const two = reusedDecision({ message_id: ID, content_hash: B });
    assert.deepEqual(one, two);
    assert.deepEqual(one, { kind: 'new', dedupe_key: `${ID}#${B}`, reused: true });
  });
});
