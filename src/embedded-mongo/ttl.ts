// TTL indexes: a periodic sweep removes documents whose indexed date (the
// earliest one, for an array) is older than expireAfterSeconds, like mongod's
// TTL monitor but on a shorter, configurable period.
import type { Store } from './store.ts';
import { valuesAtPath } from './bson-order.ts';
import type { Doc } from './values.ts';

function expiryBase(doc: Doc, field: string): number | undefined {
  let earliest: number | undefined;
  for (const v of valuesAtPath(doc, field)) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item instanceof Date && (earliest === undefined || item.getTime() < earliest))
        earliest = item.getTime();
    }
  }
  return earliest;
}

function sweepExpired(store: Store, now = Date.now()): number {
  let removed = 0;
  for (const coll of store.allCollections()) {
    for (const index of coll.indexes) {
      const seconds = index.spec.expireAfterSeconds;
      const fields = Object.keys(index.spec.key);
      if (seconds === undefined || fields.length !== 1) continue;
      const field = fields[0] as string;
      for (const doc of [...coll.docs.values()]) {
        const base = expiryBase(doc, field);
        if (base !== undefined && base + seconds * 1000 <= now) {
          coll.remove(doc);
          removed++;
        }
      }
    }
  }
  return removed;
}

export function startTtlMonitor(store: Store, intervalMs: number): () => void {
  const timer = setInterval(() => {
    sweepExpired(store);
    store.commit();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
