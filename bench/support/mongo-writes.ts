// Counts the writes (and all operations) Postroom sends to MongoDB, through mongoose's global debug
// hook: the store's connections (mongoose.createConnection) fall back to the
// global `debug` option when they set none, and every model operation passes
// through it with the collection name, the method and its arguments.
// Writes made on the driver directly (GridFS) are not seen; Postroom's
// message, conversation and run writes all go through models.
import mongoose from 'mongoose';

const WRITE_METHODS = new Set([
  'insertOne',
  'insertMany',
  'updateOne',
  'updateMany',
  'replaceOne',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
  'deleteOne',
  'deleteMany',
  'bulkWrite',
]);

export interface RecordedWrite {
  collection: string;
  method: string;
  /** The filter of an update or delete, the document of an insert. */
  target: Record<string, unknown>;
  /** The update document of an update. */
  update: Record<string, unknown>;
}

export interface WriteRecorder {
  readonly writes: RecordedWrite[];
  /** Every operation seen (reads included), writes among them. */
  readonly operations: number;
  /** Forget what was recorded so far (the setup's writes). */
  reset(): void;
  stop(): void;
}

export function recordMongoWrites(): WriteRecorder {
  let writes: RecordedWrite[] = [];
  let operations = 0;
  mongoose.set('debug', (collection: string, method: string, ...args: unknown[]) => {
    operations += 1;
    if (!WRITE_METHODS.has(method)) return;
    writes.push({ collection, method, target: objectAt(args, 0), update: objectAt(args, 1) });
  });
  return {
    get writes() {
      return writes;
    },
    get operations() {
      return operations;
    },
    reset() {
      writes = [];
      operations = 0;
    },
    stop() {
      mongoose.set('debug', false);
    },
  };
}

function objectAt(args: unknown[], index: number): Record<string, unknown> {
  const value = args[index];
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** Writes per collection, e.g. { chat_messages: 12, conversations: 3 }. */
export function countByCollection(writes: readonly RecordedWrite[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const write of writes) counts.set(write.collection, (counts.get(write.collection) ?? 0) + 1);
  return new Map([...counts].sort((a, b) => b[1] - a[1]));
}
