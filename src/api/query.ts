// Query-string reading shared by the list and expand parameters. Fastify hands
// a repeated parameter over as an array and a single one as a string, and
// clients spell lists three ways (`a=x,y`, `a=x&a=y`, `a[]=x&a[]=y`): every
// form is accepted, and every value is checked, so a typo is a 400 naming it.
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

type Query = Record<string, string | string[] | undefined>;

// Cursors are opaque base64url of a few keys: anything longer is not ours.
const MAX_CURSOR_LENGTH = 2_000;

export function queryOf(request: FastifyRequest): Query {
  const query = request.query;
  return query && typeof query === 'object' ? (query as Query) : {};
}

function invalid(message: string): ApiError {
  return new ApiError('invalid_request', 'invalid_parameter', message);
}

/** Refuse parameters the endpoint does not know (`include[]` counts as `include`). */
export function rejectUnknownParams(query: Query, known: readonly string[]): void {
  for (const name of Object.keys(query)) {
    const base = name.endsWith('[]') ? name.slice(0, -2) : name;
    if (!known.includes(base)) {
      const accepted = known.length ? `accepts ${known.join(', ')}` : 'takes no query parameters';
      throw invalid(`query.${name}: unknown parameter (this endpoint ${accepted})`);
    }
  }
}

/** Every value of a list parameter, in any of its spellings, split on commas, deduplicated. */
export function listParam(query: Query, name: string): string[] {
  const raw = [query[name], query[`${name}[]`]].flatMap((v) => (v === undefined ? [] : [v].flat()));
  const values = raw.flatMap((v) => v.split(',')).map((v) => v.trim());
  return [...new Set(values.filter((v) => v.length > 0))];
}

/** A list parameter whose every value must be one of `allowed`. */
export function enumListParam<const V extends string>(
  query: Query,
  name: string,
  allowed: readonly V[],
): V[] {
  const values = listParam(query, name);
  for (const value of values) {
    if (!(allowed as readonly string[]).includes(value)) {
      throw invalid(
        `query.${name}: unknown value "${value}" (expected one of ${allowed.join(', ')})`,
      );
    }
  }
  return values as V[];
}

/** A parameter given at most once. */
export function singleParam(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw invalid(`query.${name}: give it once, not ${value.length} times`);
  if (value === '') throw invalid(`query.${name}: must not be empty`);
  return value;
}

export function enumParam<const V extends string>(
  query: Query,
  name: string,
  allowed: readonly V[],
): V | undefined {
  const value = singleParam(query, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalid(
      `query.${name}: unknown value "${value}" (expected one of ${allowed.join(', ')})`,
    );
  }
  return value as V;
}

export interface PageParams {
  limit: number;
  after?: string;
  before?: string;
}

export const PAGE_PARAMS = ['limit', 'after', 'before'] as const;

export function pageParams(query: Query, defaultLimit: number, maxLimit: number): PageParams {
  const rawLimit = singleParam(query, 'limit');
  let limit = defaultLimit;
  if (rawLimit !== undefined) {
    limit = /^\d+$/.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
      throw invalid(`query.limit: must be an integer from 1 to ${maxLimit}, got "${rawLimit}"`);
    }
  }
  const after = singleParam(query, 'after');
  const before = singleParam(query, 'before');
  if (after !== undefined && before !== undefined) {
    throw invalid('query: give after or before, not both');
  }
  for (const [name, cursor] of [
    ['after', after],
    ['before', before],
  ] as const) {
    if (cursor !== undefined && cursor.length > MAX_CURSOR_LENGTH) {
      throw new ApiError('invalid_request', 'invalid_cursor', `query.${name}: not a valid cursor`);
    }
  }
  return {
    limit,
    ...(after === undefined ? {} : { after }),
    ...(before === undefined ? {} : { before }),
  };
}

/**
 * The URL of a list without its cursor, for page_info links: the filters and
 * limit as the caller gave them, lists joined by commas.
 */
export function listUrl(
  path: string,
  params: Record<string, string | readonly string[] | undefined>,
): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    const text = typeof value === 'string' ? value : value.join(',');
    if (text !== '') search.set(name, text);
  }
  const encoded = search.toString();
  return encoded ? `${path}?${encoded}` : path;
}
