import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideThread, referencedIds } from '../../../src/conversations/threading.ts';

const none = { byMessageId: new Map<string, string>(), byPlusToken: null, byCaseNumber: null };
const input = {
  in_reply_to: null,
  references: [] as string[],
  plus_token: null,
  case_number: null,
};

describe('threading', () => {
  test('ids: In-Reply-To first, then References from the newest, deduplicated', () => {
    assert.deepEqual(referencedIds({ in_reply_to: 'c@x', references: ['a@x', 'b@x', 'c@x'] }), [
      'c@x',
      'b@x',
      'a@x',
    ]);
  });

  test('In-Reply-To wins over References', () => {
    const found = {
      ...none,
      byMessageId: new Map([
        ['p@x', 'cnv_1'],
        ['root@x', 'cnv_2'],
      ]),
    };
    assert.deepEqual(
      decideThread({ ...input, in_reply_to: 'p@x', references: ['root@x'] }, found),
      {
        kind: 'existing',
        conversation_id: 'cnv_1',
        matched_by: 'in_reply_to',
      },
    );
  });

  test('an unknown parent falls back to a known ancestor in References', () => {
    const found = { ...none, byMessageId: new Map([['root@x', 'cnv_2']]) };
    const decision = decideThread(
      { ...input, in_reply_to: 'lost@x', references: ['root@x', 'lost@x'] },
      found,
    );
    assert.deepEqual(decision, {
      kind: 'existing',
      conversation_id: 'cnv_2',
      matched_by: 'references',
    });
  });

  test('headers beat tokens; tokens beat case numbers', () => {
    const all = {
      byMessageId: new Map([['p@x', 'cnv_h']]),
      byPlusToken: 'cnv_t',
      byCaseNumber: 'cnv_c',
    };
    assert.equal(decideThread({ ...input, in_reply_to: 'p@x' }, all).kind, 'existing');
    assert.deepEqual(decideThread(input, { ...all, byMessageId: new Map() }), {
      kind: 'existing',
      conversation_id: 'cnv_t',
      matched_by: 'reply_token',
    });
    assert.deepEqual(decideThread(input, { ...none, byCaseNumber: 'cnv_c' }), {
      kind: 'existing',
      conversation_id: 'cnv_c',
      matched_by: 'case_number',
    });
  });

  test('nothing known → a new conversation', () => {
    assert.deepEqual(decideThread({ ...input, in_reply_to: 'ghost@x' }, none), { kind: 'new' });
  });
});
