// Filters through mingo's query engine (on the numeric "view" of documents),
// plus what mingo does not give us: the positional `$` element index and
// mongod-ordered sort specifications.
import { Query } from 'mingo';
import { Context } from 'mingo/core';
import * as queryOperators from 'mingo/operators/query';
import { Query as BareQuery } from 'mingo/query';
import type { SortSpec } from './bson-order.ts';
import { badValue, MongoError, notSupported } from './errors.ts';
import { validateFilter } from './filter-validation.ts';
import { isPlainObject, toNumber, toView, type Doc } from './values.ts';

const MINGO_OPTIONS = { scriptEnabled: false, useStrictMode: true };
/**
 * mingo copies every operator table of the context it is given into each new
 * query (hundreds of expression, pipeline and accumulator operators); a
 * filter without `$expr` needs only the query operators, so its copy is small.
 */
const QUERY_ONLY_OPTIONS = {
  ...MINGO_OPTIONS,
  context: Context.init({ query: queryOperators }),
};

/** Whether `$expr` appears anywhere in a filter (it needs mingo's expression operators). */
function usesExpr(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(usesExpr);
  if (!isPlainObject(value)) return false;
  for (const [key, v] of Object.entries(value)) if (key === '$expr' || usesExpr(v)) return true;
  return false;
}

function compileQuery(filter: Doc, variables: Doc | undefined): BareQuery {
  try {
    const view = toView(filter) as Doc;
    if (variables) return new Query(view, { ...MINGO_OPTIONS, variables });
    return usesExpr(filter)
      ? new Query(view, MINGO_OPTIONS)
      : new BareQuery(view, QUERY_ONLY_OPTIONS);
  } catch (error) {
    throw asQueryError(error);
  }
}

/** Compiles a filter once; test() then answers for stored documents. */
type Primitive = string | number | boolean;

/**
 * Top-level `field: primitive` equalities, checked with === before mingo runs:
 * most filters pin a tenant or a state, and this skips most documents cheaply.
 */
function simpleEqualities(filter: Doc): { pairs: Array<[string, Primitive]>; complete: boolean } {
  const pairs: Array<[string, Primitive]> = [];
  let complete = true;
  for (const [key, value] of Object.entries(filter)) {
    const primitive =
      typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number';
    if (primitive && !key.includes('.') && !key.startsWith('$') && !Number.isNaN(value))
      pairs.push([key, value]);
    else complete = false;
  }
  return { pairs, complete };
}

export class Matcher {
  readonly filter: Doc;
  private readonly empty: boolean;
  private readonly variables: Doc | undefined;
  /** Compiled up front, except for a filter of plain equalities (see `engine`). */
  private query: BareQuery | undefined;
  private readonly equalities: Array<[string, Primitive]>;
  /** True when the equalities are the whole filter, so passing them strictly is a match. */
  private readonly onlyEqualities: boolean;

  constructor(filter: unknown, variables?: Doc) {
    validateFilter(filter);
    this.filter = (filter ?? {}) as Doc;
    this.empty = Object.keys(this.filter).length === 0;
    this.variables = variables;
    const { pairs, complete } = simpleEqualities(this.filter);
    this.equalities = pairs;
    this.onlyEqualities = complete;
    // Compiling now reports a bad filter even when no document is tested; plain
    // equalities cannot be bad, and most lookups by them never need mingo.
    if (!this.empty && !complete) this.query = compileQuery(this.filter, variables);
  }

  private engine(): BareQuery {
    this.query ??= compileQuery(this.filter, this.variables);
    return this.query;
  }

  test(doc: Doc): boolean {
    if (this.empty) return true;
    let strict = true;
    for (const [key, value] of this.equalities) {
      const actual = doc[key];
      if (actual === value) continue;
      // Arrays, numeric wrappers (Long, Double) and missing-vs-null need the full engine.
      if (actual !== null && typeof actual === 'object') strict = false;
      else return false;
    }
    if (strict && this.onlyEqualities) return true;
    try {
      return this.engine().test(toView(doc) as Doc);
    } catch (error) {
      throw asQueryError(error);
    }
  }
}

/** mingo reports bad input as plain errors; callers get them as BadValue. */
export function asQueryError(error: unknown): MongoError {
  if (error instanceof MongoError) return error;
  return badValue(error instanceof Error ? error.message : String(error));
}

export function parseSort(spec: unknown): SortSpec {
  if (spec === undefined || spec === null) return [];
  if (!isPlainObject(spec)) throw badValue('sort must be an object');
  const out: SortSpec = [];
  for (const [field, dir] of Object.entries(spec)) {
    if (isPlainObject(dir)) throw notSupported(`sort by ${JSON.stringify(dir)}`);
    const n = toNumber(dir);
    if (n !== 1 && n !== -1) {
      throw new MongoError(
        15975,
        '$sort key ordering must be 1 (for ascending) or -1 (for descending)',
      );
    }
    out.push([field, n]);
  }
  return out;
}

function clausesOn(filter: Doc, arrayPath: string): Doc[] {
  const out: Doc[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const sub of value) if (isPlainObject(sub)) out.push(...clausesOn(sub, arrayPath));
    } else if (key === arrayPath || key.startsWith(arrayPath + '.')) {
      out.push({ [key]: value });
    }
  }
  return out;
}

function withPath(doc: Doc, parts: string[], value: unknown): Doc {
  const [head, ...rest] = parts as [string, ...string[]];
  const child = doc[head];
  return {
    ...doc,
    [head]: rest.length === 0 ? value : withPath(isPlainObject(child) ? child : {}, rest, value),
  };
}

function arrayAt(doc: Doc, parts: string[]): unknown {
  let v: unknown = doc;
  for (const p of parts)
    v = isPlainObject(v) ? v[p] : Array.isArray(v) && /^\d+$/.test(p) ? v[Number(p)] : undefined;
  return v;
}

/**
 * The index of the first element of the array at `arrayPath` that the query
 * matched, which is what mongod substitutes for the positional `$`.
 */
export function positionalIndex(filter: Doc, doc: Doc, arrayPath: string): number | undefined {
  const parts = arrayPath.split('.');
  const view = toView(doc) as Doc;
  const array = arrayAt(view, parts);
  if (!Array.isArray(array)) return undefined;
  const clauses = clausesOn(filter, arrayPath);
  if (clauses.length === 0) return undefined;
  const query = new Query(toView({ $and: clauses }) as Doc, MINGO_OPTIONS);
  for (let i = 0; i < array.length; i++) {
    if (query.test(withPath(view, parts, [array[i]]))) return i;
  }
  return undefined;
}

/** Tests one array element against an arrayFilters entry for identifier `id`. */
export function compileArrayFilter(filter: Doc): (element: unknown, id: string) => boolean {
  const matcher = new Matcher(filter);
  return (element, id) => matcher.test({ [id]: element });
}
