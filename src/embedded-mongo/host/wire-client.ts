// One command over the wire to an embedded store, without a driver: how a
// Postroom process asks "who holds this data directory?" in a few
// milliseconds, and how a backup is requested from the running host.
import { connect } from 'node:net';
import { serialize } from '../bson.ts';
import type { Doc } from '../values.ts';
import { decodeMessage, splitMessages } from '../wire.ts';

const OP_MSG = 2013;

function encodeCommand(requestId: number, command: Doc): Buffer {
  const body = serialize(command);
  const header = Buffer.alloc(21);
  header.writeInt32LE(21 + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(0, 16); // flags
  header.writeUInt8(0, 20); // section kind 0: the command body
  return Buffer.concat([header, body]);
}

/** Runs `command` (with its `$db`) at host:port; rejects on no answer within timeoutMs. */
export function runWireCommand(
  host: string,
  port: number,
  command: Doc,
  timeoutMs: number,
): Promise<Doc> {
  return new Promise<Doc>((resolve, reject) => {
    const socket = connect({ host, port });
    let buffered: Buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (error: Error | null, reply?: Doc): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error) reject(error);
      else resolve(reply ?? {});
    };
    socket.setTimeout(timeoutMs, () =>
      finish(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)),
    );
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error(`${host}:${port} closed the connection`)));
    socket.once('connect', () => socket.write(encodeCommand(1, command)));
    socket.on('data', (chunk: Buffer) => {
      try {
        buffered = splitMessages(Buffer.concat([buffered, chunk]), (message) =>
          finish(null, decodeMessage(message).command),
        );
      } catch (error) {
        finish(error as Error);
      }
    });
  });
}
