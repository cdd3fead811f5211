// Arithmetic for $inc and $mul with mongod's result types: int op int stays
// int unless it overflows (then long), long wins over int, double over both,
// decimal over everything.
import { Long } from './bson.ts';
import { makeNumber, numericType, toNumber, type NumericType } from './values.ts';

const RANK: Record<NumericType, number> = { int: 0, long: 1, double: 2, decimal: 3 };
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function toBigInt(v: unknown): bigint {
  return v instanceof Long ? v.toBigInt() : BigInt(toNumber(v));
}

export function arithmetic(a: unknown, b: unknown, op: 'add' | 'mul'): unknown {
  const ta = numericType(a) ?? 'int';
  const tb = numericType(b) ?? 'int';
  const type = RANK[ta] >= RANK[tb] ? ta : tb;
  if (type === 'int' || type === 'long') {
    const r = op === 'add' ? toBigInt(a) + toBigInt(b) : toBigInt(a) * toBigInt(b);
    if (type === 'int' && r >= -2147483648n && r <= 2147483647n) return Number(r);
    if (r >= INT64_MIN && r <= INT64_MAX) return makeNumber(r, 'long');
    return makeNumber(Number(r), 'double');
  }
  const x = toNumber(a);
  const y = toNumber(b);
  return makeNumber(op === 'add' ? x + y : x * y, type);
}

/** Zero of the same numeric type, what $mul writes into a missing field. */
export function zeroLike(v: unknown): unknown {
  return makeNumber(0, numericType(v) ?? 'int');
}
