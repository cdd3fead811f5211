// mongod's BSON comparison order, used for sort, $min/$max and index-like
// ordering. mingo orders mixed types differently from mongod, so sorting never
// goes through mingo's comparator.
import { Binary, Long, MaxKey, MinKey, ObjectId, Timestamp } from './bson.ts';
import { isNumeric, isPlainObject, toNumber } from './values.ts';

/** Stands for the key of an empty array in a sort, which mongod orders before null. */
const EMPTY_ARRAY_KEY = Symbol('empty-array');

/** mongod's canonical type ranks (BSONType canonicalization). */
function typeRank(v: unknown): number {
  if (v === EMPTY_ARRAY_KEY) return 0;
  if (v === null || v === undefined) return 5;
  if (v instanceof MinKey) return -1;
  if (v instanceof MaxKey) return 100;
  if (isNumeric(v)) return 10;
  if (typeof v === 'string') return 15;
  if (Array.isArray(v)) return 25;
  if (v instanceof Binary || v instanceof Uint8Array) return 30;
  if (v instanceof ObjectId) return 35;
  if (typeof v === 'boolean') return 40;
  if (v instanceof Date) return 45;
  if (v instanceof Timestamp) return 47;
  if (v instanceof RegExp) return 50;
  if (typeof v === 'object') {
    const t = (v as { _bsontype?: string })._bsontype;
    if (t === 'BSONSymbol') return 15;
    if (t === 'Code') return 60;
    return 20;
  }
  return 20;
}

const cmp = (a: number | string | bigint, b: number | string | bigint): number =>
  a < b ? -1 : a > b ? 1 : 0;

function compareNumbers(a: unknown, b: unknown): number {
  if (a instanceof Long && b instanceof Long) return a.compare(b);
  const x = toNumber(a);
  const y = toNumber(b);
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
  if (Number.isNaN(y)) return 1;
  return cmp(x, y);
}

/** Strings compare by UTF-8 bytes in mongod; code point order is the same order. */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return cmp(a.length, b.length);
}

function bytesOf(v: Binary | Uint8Array): Uint8Array {
  return v instanceof Binary ? v.value() : v;
}

function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const fa = ka[i] as string;
    const fb = kb[i] as string;
    const va = a[fa];
    const vb = b[fb];
    const byType = cmp(typeRank(va), typeRank(vb));
    if (byType) return byType;
    const byName = compareStrings(fa, fb);
    if (byName) return byName;
    const byValue = compareBson(va, vb);
    if (byValue) return byValue;
  }
  return cmp(ka.length, kb.length);
}

export function compareBson(a: unknown, b: unknown): number {
  // Fast paths for the common same-type cases; NaN and string subtleties go the long way.
  if (typeof a === 'number' && typeof b === 'number' && a === a && b === b) return cmp(a, b);
  if (a instanceof Date && b instanceof Date) return cmp(a.getTime(), b.getTime());
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 10:
      return compareNumbers(a, b);
    case 15:
      return compareStrings(String(a), String(b));
    case 20:
      return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>);
    case 25: {
      const xa = a as unknown[];
      const xb = b as unknown[];
      const n = Math.min(xa.length, xb.length);
      for (let i = 0; i < n; i++) {
        const c = compareBson(xa[i], xb[i]);
        if (c) return c;
      }
      return cmp(xa.length, xb.length);
    }
    case 30: {
      const ba = bytesOf(a as Binary);
      const bb = bytesOf(b as Binary);
      if (ba.length !== bb.length) return cmp(ba.length, bb.length);
      const sa = a instanceof Binary ? a.sub_type : 0;
      const sb = b instanceof Binary ? b.sub_type : 0;
      if (sa !== sb) return cmp(sa, sb);
      return Buffer.compare(ba, bb);
    }
    case 35:
      return cmp((a as ObjectId).toHexString(), (b as ObjectId).toHexString());
    case 40:
      return cmp(Number(a), Number(b));
    case 45:
      return cmp((a as Date).getTime(), (b as Date).getTime());
    case 47: {
      const ta = a as Timestamp;
      const tb = b as Timestamp;
      return cmp(ta.t, tb.t) || cmp(ta.i, tb.i);
    }
    case 50: {
      const ea = a as RegExp;
      const eb = b as RegExp;
      return compareStrings(ea.source, eb.source) || compareStrings(ea.flags, eb.flags);
    }
    default:
      return 0;
  }
}

/** Every value a dotted path reaches, descending through arrays like a query does. */
export function valuesAtPath(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  const walk = (v: unknown, parts: string[], i: number): void => {
    if (i === parts.length) {
      out.push(v);
      return;
    }
    const part = parts[i] as string;
    if (Array.isArray(v)) {
      if (/^\d+$/.test(part) && Number(part) < v.length) {
        walk(v[Number(part)], parts, i + 1);
        return;
      }
      for (const el of v) if (isPlainObject(el)) walk(el, parts, i);
      return;
    }
    if (isPlainObject(v) && Object.hasOwn(v, part)) walk(v[part], parts, i + 1);
  };
  walk(doc, path.split('.'), 0);
  return out;
}

/** The value a document sorts by for one sort field (arrays: smallest ascending, largest descending). */
export function sortKey(doc: unknown, path: string, direction: 1 | -1): unknown {
  if (!path.includes('.') && isPlainObject(doc)) {
    const direct = Object.hasOwn(doc, path) ? doc[path] : null;
    if (!Array.isArray(direct)) return direct ?? null;
  }
  const found = valuesAtPath(doc, path);
  const candidates: unknown[] = [];
  for (const v of found) {
    if (Array.isArray(v)) {
      if (v.length === 0) candidates.push(EMPTY_ARRAY_KEY);
      else candidates.push(...v);
    } else {
      candidates.push(v);
    }
  }
  if (candidates.length === 0) return null;
  let best = candidates[0];
  for (const c of candidates) {
    const order = compareBson(c, best);
    if (direction === 1 ? order < 0 : order > 0) best = c;
  }
  return best;
}

export type SortSpec = Array<[string, 1 | -1]>;

/** Stable sort of documents by a parsed sort specification. */
export function sortDocuments<T>(docs: T[], spec: SortSpec): T[] {
  if (spec.length === 0) return docs;
  const keyed = docs.map((doc, index) => ({
    doc,
    index,
    keys: spec.map(([p, d]) => sortKey(doc, p, d)),
  }));
  keyed.sort((x, y) => {
    for (let i = 0; i < spec.length; i++) {
      const c = compareBson(x.keys[i], y.keys[i]);
      if (c) return c * (spec[i] as [string, 1 | -1])[1];
    }
    return x.index - y.index;
  });
  return keyed.map((k) => k.doc);
}
