// The watcher's connection states and the only transitions allowed between
// them, as one table (imapflow keeps its own protocol states the same way).
// The watcher moves through it by events; anything not in the table is a bug.
//
//   disconnected ──connect──▶ connecting ──selected──▶ syncing ──synced──▶ idle
//        ▲                        │                      ▲  │               │
//        └────────lost────────────┴──────────────────────┼──┘◀────lost─────┤
//                                                        └──────wake───────┘
//   any state but stopped ──stop──▶ stopping ──closed──▶ stopped

export type ConnectionState =
  | 'disconnected' // no connection: not started yet, or waiting out a backoff
  | 'connecting' // TCP, TLS, login and SELECT/EXAMINE of the folder
  | 'syncing' // a pass by UID: fetching and handing over new messages
  | 'idle' // IMAP IDLE, waiting for new mail, the reconcile timer or syncNow()
  | 'stopping' // stop() called: finishing the message in hand, logging out
  | 'stopped'; // final: no timers, no connection, no sink calls

export type ConnectionEvent =
  | 'connect' // a connection attempt starts
  | 'selected' // logged in and the folder is open
  | 'synced' // a pass ended (handed over or not, the connection is fine)
  | 'wake' // new mail, the reconcile timer, a retry or syncNow()
  | 'lost' // the connection failed or closed
  | 'stop' // stop() was called
  | 'closed'; // the stop finished

export const CONNECTION_STATES: readonly ConnectionState[] = [
  'disconnected',
  'connecting',
  'syncing',
  'idle',
  'stopping',
  'stopped',
];

const TRANSITIONS: Record<ConnectionState, Partial<Record<ConnectionEvent, ConnectionState>>> = {
  disconnected: { connect: 'connecting', stop: 'stopping' },
  connecting: { selected: 'syncing', lost: 'disconnected', stop: 'stopping' },
  syncing: { synced: 'idle', lost: 'disconnected', stop: 'stopping' },
  idle: { wake: 'syncing', lost: 'disconnected', stop: 'stopping' },
  stopping: { closed: 'stopped' },
  stopped: {},
};

/** The state after `event`, or null when the table does not allow it. */
export function nextState(state: ConnectionState, event: ConnectionEvent): ConnectionState | null {
  return TRANSITIONS[state][event] ?? null;
}
