import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Double, Long } from '../../../src/embedded-mongo/bson.ts';
import { MongoError } from '../../../src/embedded-mongo/errors.ts';
import { UpdateSpec } from '../../../src/embedded-mongo/update.ts';

const apply = (
  doc: Record<string, unknown>,
  update: unknown,
  filter = {},
  arrayFilters?: unknown[],
) => new UpdateSpec(filter, update, arrayFilters).apply(doc);

test('the stored document is never mutated', () => {
  const stored = { _id: 1, a: { b: [1, 2] } };
  const next = apply(stored, { $push: { 'a.b': 3 }, $set: { c: 1 } });
  assert.deepEqual(stored, { _id: 1, a: { b: [1, 2] } });
  assert.deepEqual(next, { _id: 1, a: { b: [1, 2, 3] }, c: 1 });
});

test('$inc keeps mongod numeric types: int overflow becomes long, long stays long, double wins', () => {
  const overflow = apply({ _id: 1, n: 2147483647 }, { $inc: { n: 1 } });
  assert.ok(overflow.n instanceof Long);
  assert.equal(String(overflow.n), '2147483648');
  const long = apply({ _id: 1, n: Long.fromNumber(5) }, { $inc: { n: 1 } });
  assert.ok(long.n instanceof Long);
  const dbl = apply({ _id: 1, n: 5 }, { $inc: { n: new Double(1) } });
  assert.ok(dbl.n instanceof Double, 'an integral double stays a Double');
  assert.equal(apply({ _id: 1, n: 1 }, { $mul: { n: 2.5 } }).n, 2.5);
});

test('$inc on a string is TypeMismatch (14); the argument must be numeric', () => {
  assert.throws(
    () => apply({ _id: 1, s: 'x' }, { $inc: { s: 1 } }),
    (e: MongoError) => e.code === 14,
  );
  assert.throws(
    () => apply({ _id: 1 }, { $inc: { s: 'x' } }),
    (e: MongoError) => e.code === 14,
  );
});

test('fields of one operator are applied in lexicographic order; new fields are appended', () => {
  const next = apply({ _id: 1, m: 0 }, { $set: { z: 1, b: 1 } });
  assert.deepEqual(Object.keys(next), ['_id', 'm', 'b', 'z']);
});

test('path conflicts, empty paths and unknown modifiers are rejected at parse time', () => {
  assert.throws(
    () => apply({ _id: 1 }, { $set: { a: 1 }, $unset: { 'a.b': 1 } }),
    (e: MongoError) => e.code === 40,
  );
  assert.throws(
    () => apply({ _id: 1 }, { $set: { '': 1 } }),
    (e: MongoError) => e.code === 56,
  );
  assert.throws(
    () => apply({ _id: 1 }, { $bogus: { a: 1 } }),
    (e: MongoError) => e.code === 9,
  );
  assert.throws(
    () => apply({ _id: 1 }, [{ $group: { _id: null } }]),
    (e: MongoError) =>
      e.code === 72 && /\$group is not allowed to be used within an update/.test(e.message),
  );
  assert.deepEqual(apply({ _id: 1 }, [{ $set: { a: 1 } }]), { _id: 1, a: 1 });
});

test('arrayFilters must all be used and every identifier needs a filter', () => {
  assert.throws(
    () => apply({ _id: 1, a: [1] }, { $set: { 'a.$[x]': 1 } }, {}, [{ y: 1 }]),
    (e: MongoError) => e.code === 9,
  );
  assert.throws(
    () => apply({ _id: 1, a: [1] }, { $set: { 'a.$[x]': 1 } }),
    (e: MongoError) => e.code === 2,
  );
});

test('positional $ uses the element the query matched', () => {
  const next = apply(
    { _id: 1, a: [{ k: 1 }, { k: 2 }, { k: 2 }] },
    { $set: { 'a.$.hit': true } },
    { 'a.k': 2 },
  );
  assert.deepEqual(next.a, [{ k: 1 }, { k: 2, hit: true }, { k: 2 }]);
  assert.throws(
    () => apply({ _id: 1, a: [1] }, { $set: { 'a.$': 0 } }),
    (e: MongoError) => e.code === 2,
  );
});

test('upsert documents: equality fields, $setOnInsert, and _id first', () => {
  const spec = new UpdateSpec(
    { b: 1, 'c.d': 2, e: { $gt: 1 }, $and: [{ f: 3 }] },
    { $set: { g: 1 }, $setOnInsert: { h: 1 } },
  );
  const doc = spec.upsertDocument();
  assert.equal(Object.keys(doc)[0], '_id');
  const { _id, ...rest } = doc;
  assert.ok(_id);
  assert.deepEqual(rest, { b: 1, c: { d: 2 }, f: 3, g: 1, h: 1 });
  assert.deepEqual(
    apply({ _id: 1 }, { $setOnInsert: { h: 1 } }),
    { _id: 1 },
    '$setOnInsert is ignored on update',
  );
});

test('setting below a scalar is PathNotViable (28); $unset of an array element leaves null', () => {
  assert.throws(
    () => apply({ _id: 1, a: 5 }, { $set: { 'a.b': 1 } }),
    (e: MongoError) => e.code === 28,
  );
  assert.deepEqual(apply({ _id: 1, a: [1, 2, 3] }, { $unset: { 'a.1': '' } }).a, [1, null, 3]);
  assert.deepEqual(apply({ _id: 1, a: [] }, { $set: { 'a.2': 'x' } }).a, [null, null, 'x']);
});
