// Filters through mingo's query engine (on the numeric "view" of documents),
// plus what mingo does not give us: the positional `$` element index and
// mongod-ordered sort specifications.
import { Query } from 'mingo';
import type { SortSpec } from './bson-order.ts';
import { badValue, MongoError, notSupported } from './errors.ts';
import { validateFilter } from './filter-validation.ts';
import { isPlainObject, toNumber, toView, type Doc } from './values.ts';

const MINGO_OPTIONS = { scriptEnabled: false, useStrictMode: true };

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
  private readonly query: Query | undefined;
  private readonly equalities: Array<[string, Primitive]>;
  /** True when the equalities are the whole filter, so passing them strictly is a match. */
  private readonly onlyEqualities: boolean;

  constructor(filter: unknown, variables?: Doc) {
    validateFilter(filter);
    this.filter = (filter ?? {}) as Doc;
    const empty = Object.keys(this.filter).length === 0;
    const { pairs, complete } = simpleEqualities(this.filter);
    this.equalities = pairs;
    this.onlyEqualities = complete;
    try {
      this.query = empty
        ? undefined
        : new Query(
            toView(this.filter) as Doc,
            variables ? { ...MINGO_OPTIONS, variables } : MINGO_OPTIONS,
          );
    } catch (error) {
      throw asQueryError(error);
    }
  }

  test(doc: Doc): boolean {
    if (!this.query) return true;
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
      return this.query.test(toView(doc) as Doc);
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
