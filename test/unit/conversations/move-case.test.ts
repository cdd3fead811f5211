import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { moveCase } from '../../../src/conversations/move-case.ts';

interface Case {
  status: string;
  version: number;
}

describe('moveCase', () => {
  test('a lost race reads again and recomputes from the fresh case', async () => {
    let stored: Case = { status: 'resolved', version: 1 };
    const planned: string[] = [];
    const result = await moveCase({
      seen: { status: 'waiting_external', version: 0 },
      read: async () => stored,
      plan: (current: Case) => {
        planned.push(current.status);
        return current.status === 'resolved' ? 'open' : current.status;
      },
      write: async (current, to) => {
        if (current.version !== stored.version) return null;
        stored = { status: to, version: stored.version + 1 };
        return stored;
      },
    });
    assert.deepEqual(planned, ['waiting_external', 'resolved']);
    assert.deepEqual(result, { kind: 'moved', case: { status: 'open', version: 2 } });
  });

  test('a case that is gone answers gone, without writing', async () => {
    let writes = 0;
    const result = await moveCase({
      read: async () => null,
      plan: () => 'open',
      write: async () => {
        writes++;
        return true;
      },
    });
    assert.deepEqual(result, { kind: 'gone' });
    assert.equal(writes, 0);
  });

  test('every round lost answers contended after the given rounds', async () => {
    let writes = 0;
    const result = await moveCase({
      read: async () => ({ status: 'new', version: 0 }),
      plan: () => 'open',
      write: async () => {
        writes++;
        return false;
      },
      rounds: 3,
    });
    assert.deepEqual(result, { kind: 'contended' });
    assert.equal(writes, 3);
  });
});
