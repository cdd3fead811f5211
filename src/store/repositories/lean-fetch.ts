import type { Model, QueryFilter } from 'mongoose';
import type { Fetch } from '../pagination/keyset.ts';

/** Binds the pagination's query callback to a model, returning plain records. */
export function leanFetch<T>(model: Model<T>): Fetch<T> {
  return (filter, sort, limit) =>
    model
      // The keyset filter is built from field names and typed cursor values, not from T.
      .find(filter as QueryFilter<T>)
      .sort(sort)
      .limit(limit)
      .lean<T[]>()
      .exec();
}
