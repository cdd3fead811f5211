import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AGENT_RUN_INITIAL,
  AGENT_RUN_LIFECYCLE,
} from '../../../src/conversations/agent-run-lifecycle.ts';
import { AGENT_RUN_STATUSES } from '../../../src/conversations/enums.ts';
import { defineLifecycle } from '../../../src/conversations/lifecycle.ts';
import {
  canTransition,
  MESSAGE_LIFECYCLE,
  MESSAGE_STATUSES,
} from '../../../src/conversations/message-lifecycle.ts';

// Written out by hand, not derived from the tables: a change to a table must
// be a change to this list too.
const MESSAGE_MOVES = new Set([
  'draft>scheduled',
  'draft>rejected',
  'draft>superseded',
  'draft>draft',
  'scheduled>sent',
  'scheduled>failed',
  'scheduled>canceled',
  'scheduled>scheduled',
  'failed>scheduled',
]);

const RUN_MOVES = new Set([
  'queued>running',
  'running>running',
  'running>completed',
  'queued>failed',
  'running>failed',
  'queued>canceled',
  'running>canceled',
  // A budget refusal (agents/budget) ends a live run capped.
  'queued>capped',
  'running>capped',
]);

describe('message lifecycle', () => {
  for (const from of MESSAGE_STATUSES) {
    for (const to of MESSAGE_STATUSES) {
      const expected = MESSAGE_MOVES.has(`${from}>${to}`);
      test(`${from} → ${to} is ${expected ? 'allowed' : 'refused'}`, () => {
        assert.equal(canTransition(from, to), expected);
      });
    }
  }

  test('fromStatesFor lists the sources of a move in enum order', () => {
    assert.deepEqual(MESSAGE_LIFECYCLE.fromStatesFor('canceled'), ['scheduled']);
    assert.deepEqual(MESSAGE_LIFECYCLE.fromStatesFor('superseded'), ['draft']);
    assert.deepEqual(MESSAGE_LIFECYCLE.fromStatesFor('scheduled'), [
      'draft',
      'scheduled',
      'failed',
    ]);
    assert.deepEqual(MESSAGE_LIFECYCLE.fromStatesFor('sent'), ['scheduled']);
  });

  test('approve takes a draft or a scheduled reply, never a failed one (that is retry)', () => {
    const approvable = MESSAGE_STATUSES.filter((s) => MESSAGE_LIFECYCLE.canApply('approve', s));
    assert.deepEqual(approvable, ['draft', 'scheduled']);
    const retryable = MESSAGE_STATUSES.filter((s) => MESSAGE_LIFECYCLE.canApply('retry', s));
    assert.deepEqual(retryable, ['failed']);
  });

  test('delivery moves only scheduled messages', () => {
    for (const name of ['attempt', 'deliver', 'fail', 'cancel'] as const) {
      assert.deepEqual(MESSAGE_LIFECYCLE.transitions[name].from, ['scheduled'], name);
    }
  });

  test('sent, canceled, rejected and superseded are terminal; failed is not (retry)', () => {
    const terminal = MESSAGE_STATUSES.filter((s) => MESSAGE_LIFECYCLE.isTerminal(s));
    assert.deepEqual(terminal, ['sent', 'canceled', 'rejected', 'superseded']);
    assert.deepEqual(MESSAGE_LIFECYCLE.live, ['draft', 'scheduled', 'failed']);
  });
});

describe('agent run lifecycle', () => {
  for (const from of AGENT_RUN_STATUSES) {
    for (const to of AGENT_RUN_STATUSES) {
      const expected = RUN_MOVES.has(`${from}>${to}`);
      test(`${from} → ${to} is ${expected ? 'allowed' : 'refused'}`, () => {
        assert.equal(AGENT_RUN_LIFECYCLE.canTransition(from, to), expected);
      });
    }
  }

  test('live runs are queued or running; the others never move again', () => {
    assert.deepEqual(AGENT_RUN_LIFECYCLE.live, ['queued', 'running']);
    for (const status of ['completed', 'failed', 'canceled', 'capped'] as const) {
      assert.equal(AGENT_RUN_LIFECYCLE.isTerminal(status), true, status);
    }
  });

  test('a capped run is created settled; a queued one can start', () => {
    assert.deepEqual([...AGENT_RUN_INITIAL], ['queued', 'capped']);
    assert.equal(AGENT_RUN_LIFECYCLE.canApply('start', 'queued'), true);
    assert.equal(AGENT_RUN_LIFECYCLE.canApply('start', 'capped'), false);
    assert.deepEqual(AGENT_RUN_LIFECYCLE.fromStatesFor('canceled'), ['queued', 'running']);
  });
});

describe('defineLifecycle', () => {
  const door = defineLifecycle(['open', 'shut', 'locked', 'gone'] as const, {
    close: { from: ['open'], to: 'shut' },
    lock: { from: ['shut'], to: 'locked' },
    open: { from: ['shut', 'locked'], to: 'open' },
  });

  test('derives moves, sources, terminal and live statuses from the named transitions', () => {
    assert.equal(door.canTransition('locked', 'open'), true);
    assert.equal(door.canTransition('open', 'locked'), false);
    assert.deepEqual(door.fromStatesFor('open'), ['shut', 'locked']);
    assert.deepEqual(door.live, ['open', 'shut', 'locked']);
    assert.equal(door.isTerminal('gone'), true);
    assert.equal(door.canApply('lock', 'open'), false);
  });
});
