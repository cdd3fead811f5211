// One update statement ({q, u, upsert, arrayFilters}) turned into a function
// from a stored document to its replacement, plus the document an upsert
// inserts. Stored documents are never mutated: each update works on a copy.
import { ObjectId } from './bson.ts';
import { MongoError, badValue, failedToParse } from './errors.ts';
import { isOperatorObject } from './filter-validation.ts';
import { formatValue } from './format.ts';
import { PipelineUpdate } from './pipeline-update.ts';
import { positionalIndex } from './query.ts';
import { setAt } from './update-paths.ts';
import { ModifierUpdate } from './update-operators.ts';
import { cloneValue, isPlainObject, keyOf, type Doc } from './values.ts';

export class UpdateSpec {
  private readonly modifier: ModifierUpdate | undefined;
  private readonly replacement: Doc | undefined;
  private readonly pipeline: PipelineUpdate | undefined;

  /** `variables`: the command's evaluated `let` and the statement's constants `c`. */
  constructor(
    private readonly filter: Doc,
    update: unknown,
    arrayFilters?: unknown,
    variables?: Doc,
  ) {
    if (Array.isArray(update)) {
      if (Array.isArray(arrayFilters) && arrayFilters.length > 0)
        throw failedToParse('arrayFilters may not be specified for pipeline-style updates');
      this.pipeline = new PipelineUpdate(update, variables);
      return;
    }
    if (!isPlainObject(update))
      throw failedToParse('Update argument must be either an object or an array');
    if (arrayFilters !== undefined && !Array.isArray(arrayFilters))
      throw badValue('arrayFilters must be an array');
    const first = Object.keys(update)[0];
    if (first?.startsWith('$')) {
      this.modifier = new ModifierUpdate(update, (arrayFilters as unknown[] | undefined) ?? []);
    } else {
      for (const key of Object.keys(update)) {
        if (key.startsWith('$')) {
          throw new MongoError(
            52,
            `The dollar ($) prefixed field '${key}' in '${key}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
          );
        }
      }
      if (Array.isArray(arrayFilters) && arrayFilters.length > 0) {
        throw failedToParse('arrayFilters may not be specified for replacement-style updates');
      }
      checkIdForStorage(update._id);
      this.replacement = update;
    }
  }

  get isReplacement(): boolean {
    return this.replacement !== undefined;
  }

  /** The updated copy of `doc` (the stored document is left untouched). */
  apply(doc: Doc): Doc {
    if (this.pipeline) {
      const next = this.pipeline.apply(doc);
      // A pipeline that drops _id keeps the document's own, as mongod does.
      if (next._id === undefined) return withId(doc._id, next);
      if (keyOf(next._id) !== keyOf(doc._id)) {
        throw new MongoError(
          66,
          `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(next._id)}`,
        );
      }
      return idFirst(next);
    }
    if (this.replacement) {
      const id = this.replacement._id;
      if (id !== undefined && keyOf(id) !== keyOf(doc._id)) {
        throw new MongoError(
          66,
          `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(id)}`,
        );
      }
      return withId(doc._id, this.replacement);
    }
    const copy = cloneValue(doc);
    (this.modifier as ModifierUpdate).apply(copy, {
      inserting: false,
      positional: (d, path) => positionalIndex(this.filter, d, path),
    });
    if (keyOf(copy._id) !== keyOf(doc._id)) {
      throw new MongoError(
        66,
        `Performing an update on the path '_id' would modify the immutable field '_id'`,
      );
    }
    return idFirst(copy);
  }

  /** The document an upsert inserts when nothing matched. */
  upsertDocument(): Doc {
    if (this.pipeline) {
      const base = equalityFields(this.filter);
      checkIdForStorage(base._id);
      const doc = this.pipeline.apply(base);
      if (doc._id === undefined) return withId(base._id ?? new ObjectId(), doc);
      checkIdForStorage(doc._id);
      return idFirst(doc);
    }
    if (this.replacement) {
      const base = equalityFields(this.filter);
      // An explicit `_id: null` is an id like any other, not a request for a fresh one.
      const id = '_id' in this.replacement ? this.replacement._id : base._id;
      checkIdForStorage(id);
      return withId(id === undefined ? new ObjectId() : id, this.replacement);
    }
    const doc = equalityFields(this.filter);
    (this.modifier as ModifierUpdate).apply(doc, {
      inserting: true,
      positional: () => {
        throw badValue('The positional operator did not find the match needed from the query.');
      },
    });
    if (doc._id === undefined) return { _id: new ObjectId(), ...doc };
    checkIdForStorage(doc._id);
    return idFirst(doc);
  }
}

/**
 * mongod refuses to store an `_id` that holds a `$`-prefixed field at any
 * depth (it would read as an operator in every later query on it).
 */
export function checkIdForStorage(id: unknown): void {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    if (!isPlainObject(value)) return;
    for (const [key, v] of Object.entries(value)) {
      if (key.startsWith('$')) {
        throw new MongoError(
          52,
          `_id fields may not contain '$'-prefixed fields: ${key} is not valid for storage.`,
        );
      }
      visit(v);
    }
  };
  visit(id);
}

function withId(id: unknown, replacement: Doc): Doc {
  const body = cloneValue(replacement);
  delete body._id;
  return { _id: id, ...body };
}

function idFirst(doc: Doc): Doc {
  if (Object.keys(doc)[0] === '_id' || doc._id === undefined) return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

/** Fields an upsert copies from the query: plain equalities and $eq, also inside $and. */
function equalityFields(filter: Doc): Doc {
  const doc: Doc = {};
  const collect = (f: Doc): void => {
    for (const [key, value] of Object.entries(f)) {
      if (key === '$and' && Array.isArray(value)) {
        for (const sub of value) if (isPlainObject(sub)) collect(sub);
      } else if (!key.startsWith('$')) {
        if (!isOperatorObject(value)) setAt(doc, key.split('.'), cloneValue(value));
        else if ('$eq' in value) setAt(doc, key.split('.'), cloneValue(value.$eq));
      }
    }
  };
  collect(filter);
  return doc;
}
