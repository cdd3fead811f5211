// How BSON values live in the store. Commands are deserialized without type
// promotion, then "normalized": Int32 and any Double that the bson serializer
// would write back as a Double become plain JS numbers; an integral Double,
// a Long and a Decimal128 keep their wrapper so they round-trip as the same
// BSON type. The mingo query engine only understands plain numbers, so it sees
// a "view" where numeric wrappers are unwrapped (cached per stored document,
// which is never mutated: updates replace documents).
import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp, serialize } from './bson.ts';

export type Doc = Record<string, unknown>;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export function isPlainObject(v: unknown): v is Doc {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function isInt32Number(n: number): boolean {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX && !Object.is(n, -0);
}

/** Turns a freshly deserialized value into its stored form (see file comment). */
export function normalize(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = normalize(v[i]);
    return v;
  }
  if (v instanceof Int32) return v.value;
  if (v instanceof Double) return isInt32Number(v.value) ? v : v.value;
  if (isPlainObject(v)) {
    for (const key of Object.keys(v)) v[key] = normalize(v[key]);
    return v;
  }
  return v;
}

/** Timestamp subclasses Long in the bson package, so test the BSON type tag. */
function isLong(v: unknown): v is Long {
  return v instanceof Long && v._bsontype === 'Long';
}

export function isNumeric(v: unknown): boolean {
  return typeof v === 'number' || v instanceof Double || isLong(v) || v instanceof Decimal128;
}

/** The number a numeric value stands for (Long beyond 2^53 and Decimal128 lose precision). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof Double || v instanceof Int32) return v.value;
  if (isLong(v)) return v.toNumber();
  if (v instanceof Decimal128) return Number(v.toString());
  return Number.NaN;
}

export type NumericType = 'int' | 'long' | 'double' | 'decimal';

export function numericType(v: unknown): NumericType | undefined {
  if (typeof v === 'number') return isInt32Number(v) ? 'int' : 'double';
  if (v instanceof Double) return 'double';
  if (isLong(v)) return 'long';
  if (v instanceof Decimal128) return 'decimal';
  return undefined;
}

/** Builds the stored form of a number of the given BSON numeric type. */
export function makeNumber(value: number | bigint, type: NumericType): unknown {
  if (type === 'long')
    return Long.fromBigInt(typeof value === 'bigint' ? value : BigInt(Math.trunc(value)));
  const n = Number(value);
  if (type === 'decimal') return Decimal128.fromString(String(n));
  if (type === 'int') return n;
  return isInt32Number(n) ? new Double(n) : n;
}

const viewCache = new WeakMap<object, unknown>();

function needsView(v: unknown): boolean {
  return v instanceof Double || isLong(v) || v instanceof Decimal128 || v instanceof Int32;
}

/** The mingo-facing form of a value: numeric wrappers unwrapped, structure shared when unchanged. */
export function toView(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (needsView(v)) return toNumber(v);
  const isArray = Array.isArray(v);
  if (!isArray && !isPlainObject(v)) return v;
  const cached = viewCache.get(v);
  if (cached !== undefined) return cached;
  let out: unknown = v;
  if (isArray) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const c = toView(v[i]);
      if (c !== v[i]) (copy ??= v.slice())[i] = c;
    }
    if (copy) out = copy;
  } else {
    const obj = v as Doc;
    let copy: Doc | undefined;
    for (const key of Object.keys(obj)) {
      const c = toView(obj[key]);
      if (c !== obj[key]) (copy ??= { ...obj })[key] = c;
    }
    if (copy) out = copy;
  }
  viewCache.set(v, out);
  return out;
}

/** Deep copy of plain objects and arrays; BSON leaves are immutable in the store and shared. */
export function cloneValue<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneValue) as T;
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const key of Object.keys(v)) out[key] = cloneValue(v[key]);
    return out as T;
  }
  return v;
}

function numberKey(v: unknown): string {
  if (isLong(v)) return v.toString();
  const n = toNumber(v);
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return BigInt(n).toString();
  return String(n);
}

/**
 * A string equal for exactly the values mongod considers equal in an index or
 * `_id` (numbers compare by value across Int32/Long/Double; field order matters).
 */
export function keyOf(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return 'n' + numberKey(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return 'n' + v.toString();
    default:
      break;
  }
  if (isNumeric(v)) return 'n' + numberKey(v);
  if (Array.isArray(v)) return '[' + v.map(keyOf).join(',') + ']';
  if (v instanceof ObjectId) return 'o' + v.toHexString();
  if (v instanceof Date) return 'd' + String(v.getTime());
  if (v instanceof RegExp) return 'r' + JSON.stringify([v.source, v.flags]);
  if (v instanceof Binary) return 'x' + String(v.sub_type) + ':' + v.toString('base64');
  if (v instanceof Timestamp) return 't' + v.toString();
  if (isPlainObject(v)) {
    return (
      '{' +
      Object.keys(v)
        .map((k) => JSON.stringify(k) + ':' + keyOf(v[k]))
        .join(',') +
      '}'
    );
  }
  const bsontype = (v as { _bsontype?: string })._bsontype ?? 'object';
  return bsontype + ':' + String(v);
}

export function valuesEqual(a: unknown, b: unknown): boolean {
  return a === b || keyOf(a) === keyOf(b);
}

function sameBytes(a: unknown, b: unknown): boolean {
  return Buffer.compare(serialize({ v: a }), serialize({ v: b })) === 0;
}

/**
 * Whether two stored values serialize to the same BSON bytes (which is what
 * decides whether an update modified a document), without serializing the
 * common ones: documents, arrays, dates and primitives are compared here;
 * BSON wrappers and anything unusual go through the serializer.
 */
export function sameBson(a: unknown, b: unknown): boolean {
  // The serializer writes undefined as null.
  if (a === undefined || a === null) return b === undefined || b === null;
  if (b === undefined || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') {
    if (typeof a === 'object' || typeof b === 'object') return sameBytes(a, b);
    // Object.is: 0 (int32) and -0 (double) are different bytes, NaN is NaN.
    return Object.is(a, b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameBson(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    const otherKeys = Object.keys(b);
    if (keys.length !== otherKeys.length) return false;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (key !== otherKeys[i] || !sameBson(a[key], b[key])) return false;
    }
    return true;
  }
  if (a instanceof Date && b instanceof Date) return Object.is(a.getTime(), b.getTime());
  return sameBytes(a, b);
}
