// The array update operators: $push (with $each/$slice/$sort/$position),
// $addToSet, $pop, $pull and $pullAll.
import { compareBson, sortDocuments } from './bson-order.ts';
import { MongoError, badValue, failedToParse } from './errors.ts';
import { isOperatorObject } from './filter-validation.ts';
import { formatValue, typeName } from './format.ts';
import { Matcher, parseSort } from './query.ts';
import { getAt, setAt } from './update-paths.ts';
import { cloneValue, isPlainObject, toNumber, valuesEqual, type Doc } from './values.ts';

function existingArray(doc: Doc, parts: string[], op: string): unknown[] | undefined {
  const { found, value } = getAt(doc, parts);
  if (!found) return undefined;
  if (!Array.isArray(value)) {
    const field = parts[parts.length - 1] ?? '';
    if (op === '$pull' || op === '$pullAll')
      throw badValue(`Cannot apply ${op} to a non-array value`);
    if (op === '$pop') {
      throw new MongoError(
        14,
        `Path '${parts.join('.')}' contains an element of non-array type '${typeName(value)}'`,
      );
    }
    throw badValue(
      `The field '${field}' must be an array but is of type ${typeName(value)} in document {_id: ${formatValue(doc._id)}}`,
    );
  }
  return value;
}

const PUSH_MODIFIERS = new Set(['$each', '$slice', '$sort', '$position']);

function pushSort(items: unknown[], spec: unknown): unknown[] {
  if (isPlainObject(spec)) return sortDocuments(items, parseSort(spec));
  const dir = toNumber(spec);
  if (dir !== 1 && dir !== -1)
    throw badValue(
      'The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields',
    );
  return [...items].sort((a, b) => compareBson(a, b) * dir);
}

export function push(doc: Doc, parts: string[], arg: unknown): void {
  const current = existingArray(doc, parts, '$push');
  let items: unknown[] = [arg];
  let mods: Doc = {};
  if (isPlainObject(arg) && '$each' in arg) {
    for (const key of Object.keys(arg)) {
      if (!PUSH_MODIFIERS.has(key)) throw badValue(`Unrecognized clause in $push: ${key}`);
    }
    if (!Array.isArray(arg.$each)) {
      throw badValue(
        `The argument to $each in $push must be an array but it was of type: ${typeName(arg.$each)}`,
      );
    }
    items = arg.$each;
    mods = arg;
  }
  let array = current ? [...current] : [];
  items = items.map(cloneValue);
  if (mods.$position !== undefined) {
    const p = toNumber(mods.$position);
    const at = p < 0 ? Math.max(array.length + p, 0) : Math.min(p, array.length);
    array.splice(at, 0, ...items);
  } else {
    array.push(...items);
  }
  if (mods.$sort !== undefined) array = pushSort(array, mods.$sort);
  if (mods.$slice !== undefined) {
    const n = toNumber(mods.$slice);
    array = n >= 0 ? array.slice(0, n) : array.slice(Math.max(array.length + n, 0));
  }
  setAt(doc, parts, array);
}

export function addToSet(doc: Doc, parts: string[], arg: unknown): void {
  const current = existingArray(doc, parts, '$addToSet');
  let items: unknown[] = [arg];
  if (isPlainObject(arg) && '$each' in arg) {
    if (!Array.isArray(arg.$each)) {
      throw badValue(
        `The argument to $each in $addToSet must be an array but it was of type ${typeName(arg.$each)}`,
      );
    }
    items = arg.$each;
  }
  const array = current ? [...current] : [];
  for (const item of items)
    if (!array.some((el) => valuesEqual(el, item))) array.push(cloneValue(item));
  setAt(doc, parts, array);
}

export function pop(doc: Doc, parts: string[], arg: unknown): void {
  const n = toNumber(arg);
  if (n !== 1 && n !== -1) throw failedToParse(`$pop expects 1 or -1, found: ${formatValue(arg)}`);
  const current = existingArray(doc, parts, '$pop');
  if (!current || current.length === 0) return;
  setAt(doc, parts, n === 1 ? current.slice(0, -1) : current.slice(1));
}

export function pull(doc: Doc, parts: string[], arg: unknown): void {
  const current = existingArray(doc, parts, '$pull');
  if (!current) return;
  let matches: (el: unknown) => boolean;
  if (isOperatorObject(arg)) {
    const m = new Matcher({ v: arg });
    matches = (el) => m.test({ v: el });
  } else if (isPlainObject(arg)) {
    const m = new Matcher(arg);
    matches = (el) => isPlainObject(el) && m.test(el);
  } else {
    matches = (el) => valuesEqual(el, arg);
  }
  const kept = current.filter((el) => !matches(el));
  if (kept.length !== current.length) setAt(doc, parts, kept);
}

export function pullAll(doc: Doc, parts: string[], arg: unknown): void {
  if (!Array.isArray(arg))
    throw badValue(`$pullAll requires an array argument but was given a ${typeName(arg)}`);
  const current = existingArray(doc, parts, '$pullAll');
  if (!current) return;
  const kept = current.filter((el) => !arg.some((x) => valuesEqual(x, el)));
  if (kept.length !== current.length) setAt(doc, parts, kept);
}
