import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CONNECTION_STATES,
  nextState,
  type ConnectionEvent,
  type ConnectionState,
} from '../../../src/mail/imap/connection-state.ts';

const EVENTS: readonly ConnectionEvent[] = [
  'connect',
  'selected',
  'synced',
  'wake',
  'lost',
  'stop',
  'closed',
];

// Every allowed transition; any pair not listed must be refused.
const ALLOWED: Array<[ConnectionState, ConnectionEvent, ConnectionState]> = [
  ['disconnected', 'connect', 'connecting'],
  ['disconnected', 'stop', 'stopping'],
  ['connecting', 'selected', 'syncing'],
  ['connecting', 'lost', 'disconnected'],
  ['connecting', 'stop', 'stopping'],
  ['syncing', 'synced', 'idle'],
  ['syncing', 'lost', 'disconnected'],
  ['syncing', 'stop', 'stopping'],
  ['idle', 'wake', 'syncing'],
  ['idle', 'lost', 'disconnected'],
  ['idle', 'stop', 'stopping'],
  ['stopping', 'closed', 'stopped'],
];

describe('connection state table', () => {
  for (const [from, event, to] of ALLOWED) {
    test(`${from} --${event}--> ${to}`, () => {
      assert.equal(nextState(from, event), to);
    });
  }

  test('every other (state, event) pair is refused', () => {
    for (const state of CONNECTION_STATES) {
      for (const event of EVENTS) {
        if (ALLOWED.some(([from, on]) => from === state && on === event)) continue;
        assert.equal(nextState(state, event), null, `${state} --${event}-->`);
      }
    }
  });

  test('stopped is final', () => {
    for (const event of EVENTS) assert.equal(nextState('stopped', event), null);
  });

  test('the normal life of a connection walks the table', () => {
    const walk: ConnectionEvent[] = [
      'connect',
      'selected',
      'synced',
      'wake',
      'synced',
      'lost',
      'connect',
      'stop',
      'closed',
    ];
    let state: ConnectionState = 'disconnected';
    const seen: ConnectionState[] = [state];
    for (const event of walk) {
      const next = nextState(state, event);
      assert.ok(next, `${state} --${event}-->`);
      state = next;
      seen.push(state);
    }
    assert.deepEqual(seen, [
      'disconnected',
      'connecting',
      'syncing',
      'idle',
      'syncing',
      'idle',
      'disconnected',
      'connecting',
      'stopping',
      'stopped',
    ]);
  });
});
