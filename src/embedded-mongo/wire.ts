// The MongoDB wire protocol: splitting the byte stream into messages, decoding
// OP_MSG and the legacy OP_QUERY handshake, and encoding OP_MSG / OP_REPLY.
import { deserialize, serialize } from './bson.ts';
import { normalize, type Doc } from './values.ts';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_COMPRESSED = 2012;
const OP_MSG = 2013;

const CHECKSUM_PRESENT = 1;
const MORE_TO_COME = 2;

const DESERIALIZE = { promoteValues: false, promoteLongs: false, promoteBuffers: false } as const;

export interface Request {
  requestId: number;
  opCode: number;
  command: Doc;
  /** OP_MSG moreToCome: the client expects no reply. */
  noReply: boolean;
}

function decodeDocument(buf: Buffer): Doc {
  return normalize(deserialize(buf, DESERIALIZE)) as Doc;
}

/** Pulls complete messages off the front of `buffer`; returns the unconsumed rest. */
export function splitMessages(buffer: Buffer, onMessage: (message: Buffer) => void): Buffer {
  let offset = 0;
  while (buffer.length - offset >= 4) {
    const length = buffer.readInt32LE(offset);
    if (length < 16) throw new Error(`invalid message length ${length}`);
    if (buffer.length - offset < length) break;
    onMessage(buffer.subarray(offset, offset + length));
    offset += length;
  }
  return offset === 0 ? buffer : buffer.subarray(offset);
}

function readCString(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  return [buf.toString('utf8', offset, end), end + 1];
}

export function decodeMessage(message: Buffer): Request {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_MSG) return decodeOpMsg(message, requestId);
  if (opCode === OP_QUERY) return decodeOpQuery(message, requestId);
  if (opCode === OP_COMPRESSED) {
    const originalOpCode = message.readInt32LE(16);
    const compressorId = message.readUInt8(24);
    if (compressorId !== 0)
      throw new Error('compressed messages are not supported (no compressors were advertised)');
    const header = Buffer.alloc(16);
    header.writeInt32LE(message.length - 9, 0);
    header.writeInt32LE(requestId, 4);
    header.writeInt32LE(message.readInt32LE(8), 8);
    header.writeInt32LE(originalOpCode, 12);
    return decodeMessage(Buffer.concat([header, message.subarray(25)]));
  }
  throw new Error(`unsupported wire protocol opCode ${opCode}`);
}

function decodeOpMsg(message: Buffer, requestId: number): Request {
  const flags = message.readUInt32LE(16);
  const end = message.length - (flags & CHECKSUM_PRESENT ? 4 : 0);
  let offset = 20;
  let command: Doc | undefined;
  const sequences: Array<[string, Doc[]]> = [];
  while (offset < end) {
    const kind = message.readUInt8(offset);
    offset += 1;
    if (kind === 0) {
      const size = message.readInt32LE(offset);
      command = decodeDocument(message.subarray(offset, offset + size));
      offset += size;
    } else if (kind === 1) {
      const size = message.readInt32LE(offset);
      const sectionEnd = offset + size;
      const [identifier, docsStart] = readCString(message, offset + 4);
      const docs: Doc[] = [];
      let p = docsStart;
      while (p < sectionEnd) {
        const docSize = message.readInt32LE(p);
        docs.push(decodeDocument(message.subarray(p, p + docSize)));
        p += docSize;
      }
      sequences.push([identifier, docs]);
      offset = sectionEnd;
    } else {
      throw new Error(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (!command) throw new Error('OP_MSG without a body section');
  for (const [identifier, docs] of sequences) command[identifier] = docs;
  return { requestId, opCode: OP_MSG, command, noReply: (flags & MORE_TO_COME) !== 0 };
}

function decodeOpQuery(message: Buffer, requestId: number): Request {
  const [collection, offset] = readCString(message, 20);
  const bodyStart = offset + 8;
  const size = message.readInt32LE(bodyStart);
  let command = decodeDocument(message.subarray(bodyStart, bodyStart + size));
  if (command.$query && typeof command.$query === 'object') command = command.$query as Doc;
  const db = collection.endsWith('.$cmd') ? collection.slice(0, -5) : collection.split('.')[0];
  command.$db ??= db;
  return { requestId, opCode: OP_QUERY, command, noReply: false };
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const buf = Buffer.alloc(16);
  buf.writeInt32LE(length, 0);
  buf.writeInt32LE(requestId, 4);
  buf.writeInt32LE(responseTo, 8);
  buf.writeInt32LE(opCode, 12);
  return buf;
}

let nextRequestId = 1;

export function encodeReply(request: Request, reply: Doc): Buffer {
  const body = serialize(reply, { checkKeys: false, ignoreUndefined: true });
  const id = nextRequestId++ & 0x7fffffff;
  if (request.opCode === OP_QUERY) {
    const prefix = Buffer.alloc(20);
    prefix.writeInt32LE(1, 16); // numberReturned; flags, cursorID and startingFrom stay 0
    return Buffer.concat([
      header(16 + 20 + body.length, id, request.requestId, OP_REPLY),
      prefix,
      body,
    ]);
  }
  const flags = Buffer.alloc(5); // flagBits 0, then section kind 0
  return Buffer.concat([header(16 + 5 + body.length, id, request.requestId, OP_MSG), flags, body]);
}
