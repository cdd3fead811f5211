// Rejects query filters the store cannot answer exactly, with mongod's codes and
// messages, before they reach mingo: an unknown or unsupported operator must be
// an error, never a filter that silently matches nothing.
import { badValue, notSupported } from './errors.ts';
import { isPlainObject } from './values.ts';

const FIELD_OPERATORS = new Set([
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$type',
  '$regex',
  '$options',
  '$not',
  '$elemMatch',
  '$size',
  '$all',
  '$mod',
  '$bitsAllSet',
  '$bitsAllClear',
  '$bitsAnySet',
  '$bitsAnyClear',
]);

const UNSUPPORTED_FIELD = new Set([
  '$near',
  '$nearSphere',
  '$geoWithin',
  '$geoIntersects',
  '$within',
  '$text',
]);
const UNSUPPORTED_TOP = new Set(['$where', '$text', '$jsonSchema', '$function', '$accumulator']);

function isOperatorObject(v: unknown): v is Record<string, unknown> {
  if (!isPlainObject(v)) return false;
  const first = Object.keys(v)[0];
  return first !== undefined && first.startsWith('$') && first !== '$ref' && first !== '$id';
}

function validateOperators(field: string, ops: Record<string, unknown>): void {
  for (const [op, arg] of Object.entries(ops)) {
    if (UNSUPPORTED_FIELD.has(op)) throw notSupported(op);
    if (!FIELD_OPERATORS.has(op)) throw badValue(`unknown operator: ${op}`);
    switch (op) {
      case '$in':
      case '$nin':
        if (!Array.isArray(arg)) throw badValue(`${op} needs an array`);
        break;
      case '$all':
        if (!Array.isArray(arg)) throw badValue('$all needs an array');
        break;
      case '$not':
        if (arg instanceof RegExp) break;
        if (!isOperatorObject(arg)) throw badValue('$not needs a regex or a document');
        validateOperators(field, arg);
        break;
      case '$elemMatch':
        if (!isPlainObject(arg)) throw badValue('$elemMatch needs an Object');
        if (
          isOperatorObject(arg) &&
          !['$and', '$or', '$nor', '$expr'].includes(Object.keys(arg)[0] ?? '')
        ) {
          validateOperators(field, arg);
        } else {
          validateFilter(arg);
        }
        break;
      case '$regex':
        if (typeof arg !== 'string' && !(arg instanceof RegExp))
          throw badValue('$regex has to be a string');
        break;
      case '$options':
        if (!('$regex' in ops)) throw badValue('$options needs a $regex');
        break;
      default:
        break;
    }
  }
}

export function validateFilter(filter: unknown): void {
  if (filter === undefined || filter === null) return;
  if (!isPlainObject(filter)) throw badValue('query filter must be an object');
  for (const [key, value] of Object.entries(filter)) {
    if (key.startsWith('$')) {
      if (UNSUPPORTED_TOP.has(key)) throw notSupported(key);
      if (key === '$and' || key === '$or' || key === '$nor') {
        if (!Array.isArray(value) || value.length === 0)
          throw badValue(`${key} must be a nonempty array`);
        for (const sub of value) {
          if (!isPlainObject(sub)) throw badValue(`${key} argument's entries must be objects`);
          validateFilter(sub);
        }
      } else if (key !== '$expr' && key !== '$comment') {
        throw badValue(`unknown top level operator: ${key}`);
      }
      continue;
    }
    if (isOperatorObject(value)) validateOperators(key, value);
  }
}

/** Whether a value in a filter is an operator object rather than a literal to compare with. */
export { isOperatorObject };
