// Server-side cursors: results are computed up front (documents are immutable,
// so holding references is a consistent snapshot) and handed out in batches
// capped by count and by bytes, as mongod does.
import { Long, calculateObjectSize } from './bson.ts';
import { MongoError } from './errors.ts';
import { hydrate } from './lazy-bodies.ts';
import type { Doc } from './values.ts';

/** Stay well under the 16 MiB reply document limit. */
const MAX_BATCH_BYTES = 15 * 1024 * 1024;
const DEFAULT_FIRST_BATCH = 101;

interface Cursor {
  id: Long;
  ns: string;
  docs: Doc[];
  position: number;
  transform: ((doc: Doc) => Doc) | undefined;
  lastUsed: number;
}

const sizes = new WeakMap<Doc, number>();

function sizeOf(doc: Doc): number {
  let size = sizes.get(doc);
  if (size === undefined)
    sizes.set(doc, (size = calculateObjectSize(doc, { ignoreUndefined: true })));
  return size;
}

export class CursorRegistry {
  private readonly cursors = new Map<string, Cursor>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly idleTimeoutMs: number) {
    this.sweeper = setInterval(() => this.dropIdle(), Math.min(60_000, idleTimeoutMs));
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    this.cursors.clear();
  }

  private dropIdle(): void {
    const cutoff = Date.now() - this.idleTimeoutMs;
    for (const [key, cursor] of this.cursors)
      if (cursor.lastUsed < cutoff) this.cursors.delete(key);
  }

  /** The first batch of a result, registering a cursor only if more remains. */
  open(
    ns: string,
    docs: Doc[],
    options: { batchSize?: number; singleBatch?: boolean; transform?: (doc: Doc) => Doc },
  ): Doc {
    const cursor: Cursor = {
      id: Long.ZERO,
      ns,
      docs,
      position: 0,
      transform: options.transform,
      lastUsed: Date.now(),
    };
    const firstBatch = this.take(cursor, options.batchSize ?? DEFAULT_FIRST_BATCH);
    if (cursor.position < docs.length && !options.singleBatch) {
      cursor.id = newCursorId();
      this.cursors.set(cursor.id.toString(), cursor);
    }
    return { cursor: { firstBatch, id: cursor.id, ns }, ok: 1 };
  }

  getMore(id: Long, ns: string, batchSize: number | undefined): Doc {
    const cursor = this.cursors.get(id.toString());
    if (!cursor) throw new MongoError(43, `cursor id ${id.toString()} not found`);
    if (cursor.ns !== ns) {
      throw new MongoError(
        13,
        `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`,
      );
    }
    cursor.lastUsed = Date.now();
    const nextBatch = this.take(
      cursor,
      batchSize && batchSize > 0 ? batchSize : Number.MAX_SAFE_INTEGER,
    );
    let replyId = cursor.id;
    if (cursor.position >= cursor.docs.length) {
      this.cursors.delete(id.toString());
      replyId = Long.ZERO;
    }
    return { cursor: { nextBatch, id: replyId, ns }, ok: 1 };
  }

  kill(ids: Long[]): Doc {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) (this.cursors.delete(id.toString()) ? killed : notFound).push(id);
    return {
      cursorsKilled: killed,
      cursorsNotFound: notFound,
      cursorsAlive: [],
      cursorsUnknown: [],
      ok: 1,
    };
  }

  private take(cursor: Cursor, count: number): Doc[] {
    const batch: Doc[] = [];
    let bytes = 0;
    while (batch.length < count && cursor.position < cursor.docs.length) {
      // A skeleton (GridFS chunk of a durable store) is read back only now, batch by batch.
      const raw = hydrate(cursor.docs[cursor.position] as Doc);
      const doc = cursor.transform ? cursor.transform(raw) : raw;
      // The first document goes whatever its size; sizing it (BSON-walking
      // it) only pays when another may follow it into this batch.
      const more = batch.length + 1 < count && cursor.position + 1 < cursor.docs.length;
      if (batch.length > 0 || more) {
        const size = sizeOf(doc);
        if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
        bytes += size;
      }
      batch.push(doc);
      cursor.position++;
    }
    return batch;
  }
}

function newCursorId(): Long {
  const bytes = crypto.getRandomValues(new Uint32Array(2));
  return Long.fromBits(bytes[0] as number, (bytes[1] as number) & 0x7fffffff || 1);
}
