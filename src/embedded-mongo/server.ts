// TCP server: one buffer per connection, messages handled strictly in order,
// each command run synchronously to completion before the next one.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { runCommand } from './commands/index.ts';
import type { CursorRegistry } from './cursors.ts';
import type { Store } from './store.ts';
import { decodeMessage, encodeReply, splitMessages } from './wire.ts';
import { MongoError } from './errors.ts';
import type { Doc } from './values.ts';

export interface ServerState {
  store: Store;
  cursors: CursorRegistry;
  logger: Logger | undefined;
}

export function createWireServer(state: ServerState): { server: Server; sockets: Set<Socket> } {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    const connectionId = ++connections;
    sockets.add(socket);
    socket.setNoDelay(true);
    const clientAddress = `${socket.remoteAddress ?? '127.0.0.1'}:${socket.remotePort ?? 0}`;
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      try {
        pending = splitMessages(pending, (message) => {
          const request = decodeMessage(message);
          let reply = runCommand(
            request.command,
            {
              store: state.store,
              cursors: state.cursors,
              connectionId,
              clientAddress,
              logger: state.logger,
            },
            state.logger,
          );
          // The command's writes are one transaction, durable before the reply leaves.
          try {
            state.store.commit();
          } catch (error) {
            reply = commitFailed(state, error);
          }
          if (!request.noReply) socket.write(encodeReply(request, reply));
        });
      } catch (error) {
        state.logger?.warn(
          { err: error, connectionId },
          'embedded mongo: closing connection after a protocol error',
        );
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  return { server, sockets };
}

/**
 * A commit that fails (disk full, I/O error) leaves memory ahead of the disk:
 * the command is answered as failed, and the store must be restarted to
 * read back what is really stored.
 */
function commitFailed(state: ServerState, error: unknown): Doc {
  state.logger?.fatal(
    { err: error },
    'embedded mongo: a write could not be committed to disk; restart the store to read back its committed state',
  );
  state.store.persistence?.rollback();
  return new MongoError(
    1,
    `the write could not be made durable: ${error instanceof Error ? error.message : String(error)}`,
  ).toReply();
}
