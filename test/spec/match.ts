// The Unified Test Format's matching rules ("Evaluating Matches"): expected
// values are a kind of query over actual ones, with `$$` operators, extra
// fields allowed only in root-level documents, and flexible numerics.
import assert from 'node:assert/strict';
import { BSON, type Document } from 'mongodb';

/** Entities that `$$matchesEntity` and `$$sessionLsid` refer to. */
export interface EntityLookup {
  get(name: string): unknown;
}

type BsonTagged = { _bsontype: string };

function bsonType(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const tag = (value as Partial<BsonTagged>)._bsontype;
  return typeof tag === 'string' ? tag : undefined;
}

export function isDocument(value: unknown): value is Document {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  if (bsonType(value) !== undefined) return false;
  if (value instanceof Date || value instanceof RegExp || value instanceof Uint8Array) return false;
  return true;
}

/** The JS number a flexible numeric stands for, or undefined for non-numerics. */
function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const tag = bsonType(value);
  if (tag === 'Int32' || tag === 'Double') return (value as { value: number }).value;
  if (tag === 'Long') return (value as { toNumber(): number }).toNumber();
  return undefined;
}

/** mongod's `$type` aliases for a value as the driver hands it back. */
function typeNames(value: unknown): string[] {
  if (value === undefined) return [];
  if (value === null) return ['null'];
  if (typeof value === 'string') return ['string'];
  if (typeof value === 'boolean') return ['bool'];
  // A promoted int32 and an integral double both arrive as a JS number.
  if (typeof value === 'number')
    return Number.isInteger(value) ? ['int', 'long', 'double'] : ['double'];
  if (Array.isArray(value)) return ['array'];
  if (value instanceof Date) return ['date'];
  if (value instanceof RegExp) return ['regex'];
  if (value instanceof Uint8Array) return ['binData'];
  const tags: Record<string, string> = {
    ObjectId: 'objectId',
    Binary: 'binData',
    Int32: 'int',
    Double: 'double',
    Long: 'long',
    Decimal128: 'decimal',
    Timestamp: 'timestamp',
    BSONRegExp: 'regex',
    Code: 'javascript',
    MinKey: 'minKey',
    MaxKey: 'maxKey',
    BSONSymbol: 'symbol',
  };
  const tag = bsonType(value);
  if (tag !== undefined) return tags[tag] ? [tags[tag]] : [tag];
  return ['object'];
}

function isOperator(value: unknown): value is Document {
  if (!isDocument(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] as string).startsWith('$$');
}

function hex(value: unknown): string | undefined {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (bsonType(value) === 'Binary')
    return Buffer.from((value as BSON.Binary).buffer).toString('hex');
  if (typeof value === 'string') return value.toLowerCase();
  return undefined;
}

/** Compares two non-container values as the spec's "same type and equal". */
function matchScalar(expected: unknown, actual: unknown, path: string): void {
  const e = numericValue(expected);
  if (e !== undefined) {
    assert.equal(
      numericValue(actual),
      e,
      `${path}: expected the number ${e}, got ${describe(actual)}`,
    );
    return;
  }
  const expectedTag = bsonType(expected);
  if (expectedTag !== undefined) {
    assert.equal(
      bsonType(actual),
      expectedTag,
      `${path}: expected a ${expectedTag}, got ${describe(actual)}`,
    );
    assert.equal(
      BSON.EJSON.stringify(actual as Document, { relaxed: false }),
      BSON.EJSON.stringify(expected as Document, { relaxed: false }),
      `${path}: values differ`,
    );
    return;
  }
  if (expected instanceof Date) {
    assert.ok(actual instanceof Date, `${path}: expected a date, got ${describe(actual)}`);
    assert.equal(actual.getTime(), expected.getTime(), `${path}: dates differ`);
    return;
  }
  assert.deepEqual(
    actual,
    expected,
    `${path}: expected ${describe(expected)}, got ${describe(actual)}`,
  );
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return BSON.EJSON.stringify(value as Document, { relaxed: true });
  } catch {
    return String(value);
  }
}

function matchOperator(
  operator: Document,
  actual: unknown,
  entities: EntityLookup,
  path: string,
  root: boolean,
): void {
  const [name, arg] = Object.entries(operator)[0] as [string, unknown];
  switch (name) {
    case '$$type': {
      const wanted = Array.isArray(arg) ? (arg as string[]) : [arg as string];
      assert.ok(actual !== undefined, `${path}: expected a value of type ${wanted.join('|')}`);
      const names = typeNames(actual);
      assert.ok(
        wanted.some((w) => names.includes(w)),
        `${path}: expected type ${wanted.join('|')}, got ${names.join('|')} (${describe(actual)})`,
      );
      return;
    }
    case '$$unsetOrMatches':
      if (actual !== undefined) match(arg, actual, entities, path, root);
      return;
    case '$$matchesEntity':
      match(entities.get(arg as string), actual, entities, path, root);
      return;
    case '$$matchesHexBytes':
      assert.equal(hex(actual), (arg as string).toLowerCase(), `${path}: bytes differ`);
      return;
    case '$$sessionLsid': {
      const session = entities.get(arg as string) as { id?: Document };
      match(session.id, actual, entities, path, false);
      return;
    }
    case '$$lte': {
      const limit = numericValue(arg);
      const value = numericValue(actual);
      assert.ok(
        value !== undefined && limit !== undefined && value <= limit,
        `${path}: ${describe(actual)} > ${describe(arg)}`,
      );
      return;
    }
    case '$$matchAsDocument':
      match(arg, BSON.EJSON.parse(actual as string), entities, path, false);
      return;
    case '$$matchAsRoot':
      match(arg, actual, entities, path, true);
      return;
    default:
      throw new Error(`${path}: unknown matching operator ${name}`);
  }
}

/**
 * Asserts that `actual` matches `expected`; `root` marks a root-level
 * document, which may hold fields the expectation does not name.
 */
export function match(
  expected: unknown,
  actual: unknown,
  entities: EntityLookup,
  path = '$',
  root = true,
): void {
  // The driver spells sort and index keys as Maps to keep their order.
  if (actual instanceof Map) actual = Object.fromEntries(actual);
  if (isOperator(expected)) {
    matchOperator(expected, actual, entities, path, root);
    return;
  }
  if (isDocument(expected)) {
    assert.ok(isDocument(actual), `${path}: expected a document, got ${describe(actual)}`);
    for (const [key, value] of Object.entries(expected)) {
      const at = `${path}.${key}`;
      if (isOperator(value) && '$$exists' in value) {
        assert.equal(
          key in actual && actual[key] !== undefined,
          value.$$exists,
          `${at}: $$exists ${String(value.$$exists)}`,
        );
        continue;
      }
      if (isOperator(value) && '$$unsetOrMatches' in value) {
        if (actual[key] !== undefined)
          match(value.$$unsetOrMatches, actual[key], entities, at, false);
        continue;
      }
      assert.ok(
        key in actual && actual[key] !== undefined,
        `${at}: missing (actual ${describe(actual)})`,
      );
      match(value, actual[key], entities, at, false);
    }
    if (!root) {
      const extra = Object.keys(actual).filter((k) => actual[k] !== undefined && !(k in expected));
      assert.deepEqual(
        extra,
        [],
        `${path}: unexpected fields ${extra.join(', ')} in ${describe(actual)}`,
      );
    }
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${describe(actual)}`);
    assert.equal(
      actual.length,
      expected.length,
      `${path}: expected ${expected.length} elements, got ${describe(actual)}`,
    );
    expected.forEach((value, i) => match(value, actual[i], entities, `${path}[${i}]`, false));
    return;
  }
  matchScalar(expected, actual, path);
}

/** Documents compared exactly (key order aside), as `outcome` requires. */
export function matchExactly(expected: unknown, actual: unknown, path = '$'): void {
  match(
    expected,
    actual,
    {
      get: (name) => {
        throw new Error(`no entities in outcome (${name})`);
      },
    },
    path,
    false,
  );
}
