// The aggregate command on top of mingo's pipeline engine. Documents enter the
// pipeline as private numeric-view copies (mingo stages may modify their
// input), $sort is replaced by mongod's BSON ordering, and stages the store
// cannot run faithfully are refused up front.
import { Context } from 'mingo/core';
import { Aggregator } from 'mingo/aggregator';
import { Lazy } from 'mingo/lazy';
import * as accumulator from 'mingo/operators/accumulator';
import * as expression from 'mingo/operators/expression';
import * as pipeline from 'mingo/operators/pipeline';
import * as projection from 'mingo/operators/projection';
import * as query from 'mingo/operators/query';
import * as windowOps from 'mingo/operators/window';
import { sortDocuments } from './bson-order.ts';
import { MongoError, notSupported } from './errors.ts';
import { hydrateAll } from './lazy-bodies.ts';
import { Matcher, asQueryError, parseSort } from './query.ts';
import type { Store } from './store.ts';
import { cloneValue, isPlainObject, toView, type Doc } from './values.ts';

const STAGES = new Set([
  '$addFields',
  '$bucket',
  '$bucketAuto',
  '$count',
  '$densify',
  '$documents',
  '$facet',
  '$fill',
  '$graphLookup',
  '$group',
  '$limit',
  '$lookup',
  '$match',
  '$project',
  '$redact',
  '$replaceRoot',
  '$replaceWith',
  '$sample',
  '$set',
  '$setWindowFields',
  '$skip',
  '$sort',
  '$sortByCount',
  '$unionWith',
  '$unset',
  '$unwind',
]);
const UNSUPPORTED_STAGES = new Set([
  '$out',
  '$merge',
  '$geoNear',
  '$search',
  '$changeStream',
  '$collStats',
  '$indexStats',
  '$currentOp',
  '$listSessions',
  '$listLocalSessions',
  '$planCacheStats',
  '$vectorSearch',
]);
// $percentile and $median: mingo's sort their input as text (10 before 9), a
// wrong answer; refused until they are done right.
const UNSUPPORTED_OPERATORS = new Set([
  '$where',
  '$function',
  '$accumulator',
  '$text',
  '$percentile',
  '$median',
]);

type Iter = { transform(f: (items: unknown[]) => unknown): unknown };

// Replaces mingo's $sort (its cross-type order differs from mongod's).
const bsonSort = (coll: Iter, spec: Doc): unknown => {
  const parsed = parseSort(spec);
  return coll.transform((items) => Lazy(sortDocuments(items, parsed)));
};
const bsonSortByCount = (coll: Iter, expr: unknown, options: unknown): unknown =>
  bsonSort(
    (pipeline.$group as unknown as (c: Iter, e: unknown, o: unknown) => Iter)(
      coll,
      { _id: expr, count: { $sum: 1 } },
      options,
    ),
    {
      count: -1,
    },
  );

/** mingo's operators with mongod's BSON ordering for $sort; shared with pipeline updates and `let`. */
export const CONTEXT = Context.init({
  accumulator,
  expression,
  // mingo's typings do not admit replacement operators; the shapes match at runtime.
  pipeline: {
    ...pipeline,
    $sort: bsonSort,
    $sortByCount: bsonSortByCount,
  } as unknown as typeof pipeline,
  projection,
  query,
  window: windowOps,
});

function checkOperators(value: unknown): void {
  if (Array.isArray(value)) value.forEach(checkOperators);
  else if (isPlainObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (UNSUPPORTED_OPERATORS.has(key)) throw notSupported(key);
      checkOperators(v);
    }
  }
}

/** The stage's operator, as mongod insists: a stage is an object of exactly one field. */
export function stageName(stage: unknown): string {
  if (!isPlainObject(stage) || Object.keys(stage).length !== 1) {
    throw new MongoError(
      40323,
      'A pipeline stage specification object must contain exactly one field.',
    );
  }
  return Object.keys(stage)[0] as string;
}

export function validatePipeline(stages: unknown): Doc[] {
  if (!Array.isArray(stages))
    throw new MongoError(14, "'pipeline' option must be specified as an array");
  for (const stage of stages) {
    const name = stageName(stage);
    if (UNSUPPORTED_STAGES.has(name)) throw notSupported(`the ${name} aggregation stage`);
    if (!STAGES.has(name))
      throw new MongoError(40324, `Unrecognized pipeline stage name: '${name}'`);
    if (name === '$match') new Matcher(stage.$match);
    if (name === '$facet' && isPlainObject(stage.$facet))
      Object.values(stage.$facet).forEach(validatePipeline);
    if (
      name === '$lookup' &&
      isPlainObject(stage.$lookup) &&
      stage.$lookup.pipeline !== undefined
    ) {
      validatePipeline(stage.$lookup.pipeline);
    }
    checkOperators(stage);
  }
  return stages as Doc[];
}

function viewCopies(docs: Iterable<Doc>): Doc[] {
  const out: Doc[] = [];
  for (const doc of docs) out.push(cloneValue(toView(doc)) as Doc);
  return out;
}

/**
 * A pipeline that only counts its input (`countDocuments` sends
 * `{$group: {_id: 1, n: {$sum: 1}}}` after its $match), answered without
 * copying every matched document into mingo. Like $group, no input, no output.
 */
function countOnly(stages: Doc[]): ((input: Iterable<Doc>) => Doc[]) | undefined {
  const [stage, ...more] = stages;
  if (!stage || more.length > 0 || !isPlainObject(stage.$group)) return undefined;
  const { _id: id, ...fields } = stage.$group;
  const constantId =
    id === null || typeof id === 'number' || (typeof id === 'string' && !id.startsWith('$'));
  const names = Object.keys(fields);
  const counter = fields[names[0] ?? ''];
  if (!constantId || names.length !== 1 || !isPlainObject(counter)) return undefined;
  if (Object.keys(counter).length !== 1 || counter.$sum !== 1) return undefined;
  const name = names[0] as string;
  return (input) => {
    let n = 0;
    for (const _ of input) n += 1;
    return n === 0 ? [] : [{ _id: id, [name]: n }];
  };
}

/** Runs a validated pipeline over a collection of database `db` (or no input for `aggregate: 1`). */
export function runPipeline(
  store: Store,
  db: string,
  collection: string | undefined,
  stages: Doc[],
  variables?: Doc,
): Doc[] {
  let rest = stages;
  let input: Iterable<Doc> = [];
  const coll = collection === undefined ? undefined : store.get(db, collection);
  if (coll) {
    const first = stages[0];
    if (first && '$match' in first) {
      input = coll.find(new Matcher(first.$match, variables));
      rest = stages.slice(1);
    } else {
      input = coll.docs.values();
    }
  }
  const counted = countOnly(rest);
  if (counted) return counted(input);
  try {
    const aggregator = new Aggregator(toView(rest) as Doc[], {
      context: CONTEXT,
      scriptEnabled: false,
      variables,
      collectionResolver: (name: string) =>
        viewCopies(hydrateAll(store.get(db, name)?.docs.values() ?? [])),
    });
    return aggregator.run(viewCopies(hydrateAll(input))) as Doc[];
  } catch (error) {
    if (error instanceof MongoError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (/unknown|invalid|not found/i.test(message)) throw new MongoError(168, message);
    throw asQueryError(error);
  }
}
