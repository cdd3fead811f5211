// Aggregation expressions outside the aggregate command: `let` variables
// (expressions mongod evaluates once per command, before any document is
// seen) and pipeline-style updates (an array of $set/$addFields, $unset,
// $project, $replaceRoot/$replaceWith stages run over one document). Both go
// through mingo with the same operator context as the aggregate command.
import { Aggregator } from 'mingo/aggregator';
import { CONTEXT, stageName } from './aggregate.ts';
import { MongoError, badValue } from './errors.ts';
import { asQueryError } from './query.ts';
import { cloneValue, isPlainObject, normalize, toView, type Doc } from './values.ts';

/** The stages mongod admits in an update pipeline. */
const UPDATE_STAGES = new Set([
  '$addFields',
  '$set',
  '$project',
  '$unset',
  '$replaceRoot',
  '$replaceWith',
]);

function run(stages: Doc[], input: Doc, variables: Doc | undefined): Doc[] {
  try {
    const aggregator = new Aggregator(toView(stages) as Doc[], {
      context: CONTEXT,
      scriptEnabled: false,
      variables,
    });
    return aggregator.run([cloneValue(toView(input)) as Doc]) as Doc[];
  } catch (error) {
    throw asQueryError(error);
  }
}

/**
 * A command's `let` document evaluated: each value is an expression (so
 * `{$literal: '$x'}` is the string `$x`, `{$add: [1, 2]}` is 3), not a constant.
 */
export function evaluateLet(spec: unknown): Doc | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (!isPlainObject(spec))
    throw new MongoError(14, "BSON field 'let' is the wrong type, expected type 'object'");
  const names = Object.keys(spec);
  if (names.length === 0) return undefined;
  for (const name of names) {
    // mongod: a user variable starts with a lowercase ASCII letter or a non-ASCII character.
    const first = name.codePointAt(0) ?? 0;
    if (!/^[A-Za-z0-9_]*$/.test(name.slice(1)) && first < 128)
      throw badValue(`'${name}' contains an invalid character for a variable name`);
    if (first < 128 && !(first >= 97 && first <= 122))
      throw badValue(`'${name}' starts with an invalid character for a user variable name`);
  }
  // $replaceWith reads every value, a plain document included, as an expression.
  const [values] = run([{ $replaceWith: spec }], {}, undefined);
  return (values ?? {}) as Doc;
}

/** Keeps the stored (typed) value wherever the pipeline left the numeric view unchanged. */
function restoreTypes(before: unknown, after: unknown): unknown {
  if (before === after) return before;
  const view = toView(before);
  if (isPlainObject(after)) {
    const old = isPlainObject(before) ? before : undefined;
    const out: Doc = {};
    for (const [key, value] of Object.entries(after)) out[key] = restoreTypes(old?.[key], value);
    return out;
  }
  if (Array.isArray(after)) {
    const old = Array.isArray(before) ? before : [];
    return after.map((value, i) => restoreTypes(old[i], value));
  }
  if (view === after && before !== undefined) return before;
  return normalize(after);
}

export class PipelineUpdate {
  private readonly stages: Doc[];

  constructor(
    stages: unknown[],
    private readonly variables: Doc | undefined,
  ) {
    for (const stage of stages) {
      const name = stageName(stage);
      if (!UPDATE_STAGES.has(name)) {
        throw new MongoError(72, `${name} is not allowed to be used within an update`);
      }
    }
    this.stages = stages as Doc[];
  }

  /** The document the pipeline makes of `doc` (a copy; `doc` is untouched). */
  apply(doc: Doc): Doc {
    const [result] = run(this.stages, doc, this.variables);
    if (!isPlainObject(result)) throw badValue('an update pipeline must produce a document');
    return restoreTypes(doc, result) as Doc;
  }
}
