// Applies a modifier update ({$set: ..., $inc: ...}) to a private copy of a
// document, with mongod's validation, error codes and field ordering. mingo's
// updater lacks $setOnInsert and mongod's type errors, so only its query
// engine is used here (for $pull conditions and arrayFilters).
import { Timestamp } from './bson.ts';
import { compareBson } from './bson-order.ts';
import { MongoError, badValue, failedToParse } from './errors.ts';
import { formatDoc, formatValue, typeName } from './format.ts';
import { arithmetic, zeroLike } from './numeric.ts';
import { compileArrayFilter } from './query.ts';
import { addToSet, pop, pull, pullAll, push } from './update-array-ops.ts';
import {
  arrayFilterIds,
  expandPath,
  getAt,
  setAt,
  unsetAt,
  type PathContext,
} from './update-paths.ts';
import { cloneValue, isNumeric, isPlainObject, type Doc } from './values.ts';

export interface UpdateContext {
  /** True when the update builds a new document for an upsert ($setOnInsert applies). */
  inserting: boolean;
  /** For the positional `$`: index of the array element the query matched. */
  positional(doc: Doc, arrayPath: string): number | undefined;
}

type Apply = (doc: Doc, parts: string[], arg: unknown, path: string) => void;

function numericOp(op: '$inc' | '$mul'): Apply {
  const verb = op === '$inc' ? 'increment' : 'multiply';
  return (doc, parts, arg, path) => {
    if (!isNumeric(arg)) {
      throw new MongoError(
        14,
        `Cannot ${verb} with non-numeric argument: {${path}: ${formatValue(arg)}}`,
      );
    }
    const { found, value } = getAt(doc, parts);
    if (found && !isNumeric(value)) {
      throw new MongoError(
        14,
        `Cannot apply ${op} to a value of non-numeric type. {_id: ${formatValue(doc._id)}} has the field '${parts[parts.length - 1]}' of non-numeric type ${typeName(value)}`,
      );
    }
    if (!found) setAt(doc, parts, op === '$inc' ? arg : zeroLike(arg));
    else setAt(doc, parts, arithmetic(value, arg, op === '$inc' ? 'add' : 'mul'));
  };
}

function minMax(sign: 1 | -1): Apply {
  return (doc, parts, arg) => {
    const { found, value } = getAt(doc, parts);
    if (!found || compareBson(arg, value) * sign < 0) setAt(doc, parts, cloneValue(arg));
  };
}

let timestampCounter = 0;

const OPERATORS: Record<string, Apply> = {
  $set: (doc, parts, arg) => setAt(doc, parts, cloneValue(arg)),
  $setOnInsert: (doc, parts, arg) => setAt(doc, parts, cloneValue(arg)),
  $unset: (doc, parts) => void unsetAt(doc, parts),
  $inc: numericOp('$inc'),
  $mul: numericOp('$mul'),
  $min: minMax(1),
  $max: minMax(-1),
  $currentDate: (doc, parts, arg) => {
    const type = isPlainObject(arg) ? arg.$type : arg === true ? 'date' : undefined;
    if (type === 'timestamp') {
      const now = Math.floor(Date.now() / 1000);
      setAt(doc, parts, new Timestamp({ t: now, i: ++timestampCounter }));
    } else if (type === 'date' || arg === false) {
      setAt(doc, parts, new Date());
    } else {
      throw badValue(
        `The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}`,
      );
    }
  },
  $push: (doc, parts, arg) => push(doc, parts, arg),
  $addToSet: (doc, parts, arg) => addToSet(doc, parts, arg),
  $pop: (doc, parts, arg) => pop(doc, parts, arg),
  $pull: (doc, parts, arg) => pull(doc, parts, arg),
  $pullAll: (doc, parts, arg) => pullAll(doc, parts, arg),
};

interface Step {
  op: string;
  path: string;
  arg: unknown;
}

/** A parsed, validated modifier update, applicable to many documents. */
export class ModifierUpdate {
  private readonly steps: Step[] = [];
  private readonly arrayFilters = new Map<string, (element: unknown) => boolean>();

  constructor(update: Doc, arrayFilters: unknown[] = []) {
    const paths: string[] = [];
    for (const [op, args] of Object.entries(update)) {
      if (!OPERATORS[op] && op !== '$rename') {
        throw failedToParse(
          `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`,
        );
      }
      if (!isPlainObject(args)) {
        throw failedToParse(
          `Modifiers operate on fields but we found type ${typeName(args)} instead. For example: {$mod: {<field>: ...}} not {${op}: ${formatValue(args)}}`,
        );
      }
      // mongod (5.0+) applies each operator's fields in lexicographic order.
      for (const path of Object.keys(args).sort()) {
        if (path === '' || path.split('.').includes(''))
          throw new MongoError(56, 'An empty update path is not valid.');
        const arg = args[path];
        if (op === '$rename') {
          if (typeof arg !== 'string') {
            throw badValue(
              `The 'to' field for $rename must be a string: ${path}: ${formatValue(arg)}`,
            );
          }
          if (path === arg)
            throw badValue(
              `The source and target field for $rename must differ: ${path}: "${arg}"`,
            );
          if (/\$/.test(path) || /\$/.test(arg))
            throw badValue('The source field for $rename may not be dynamic');
          paths.push(path, arg);
        } else {
          paths.push(path);
        }
        this.steps.push({ op, path, arg });
      }
    }
    checkConflicts(paths);
    this.compileArrayFilters(arrayFilters, paths, update);
  }

  private compileArrayFilters(arrayFilters: unknown[], paths: string[], update: Doc): void {
    const used = new Set(paths.flatMap(arrayFilterIds));
    for (const filter of arrayFilters) {
      if (!isPlainObject(filter) || Object.keys(filter).length === 0) {
        throw failedToParse(
          'Cannot use an expression without a top-level field name in arrayFilters',
        );
      }
      const id = (Object.keys(filter)[0] ?? '').split('.')[0] ?? '';
      if (this.arrayFilters.has(id)) {
        throw failedToParse(
          `Found multiple array filters with the same top-level field name ${id}`,
        );
      }
      if (!used.has(id)) {
        throw failedToParse(
          `The array filter for identifier '${id}' was not used in the update ${formatDoc(update)}`,
        );
      }
      const test = compileArrayFilter(filter);
      this.arrayFilters.set(id, (el) => test(el, id));
    }
    for (const id of used) {
      if (!this.arrayFilters.has(id)) {
        const path = paths.find((p) => arrayFilterIds(p).includes(id)) ?? '';
        throw badValue(`No array filter found for identifier '${id}' in path '${path}'`);
      }
    }
  }

  /** Applies the update in place to `doc`, which must be the caller's private copy. */
  apply(doc: Doc, ctx: UpdateContext): void {
    const positionals = new Map<string, number | undefined>();
    const pathCtx: PathContext = {
      arrayFilters: this.arrayFilters,
      positional: (arrayPath) => {
        if (!positionals.has(arrayPath)) positionals.set(arrayPath, ctx.positional(doc, arrayPath));
        return positionals.get(arrayPath);
      },
    };
    for (const { op, path, arg } of this.steps) {
      if (op === '$setOnInsert' && !ctx.inserting) continue;
      if (op === '$rename') {
        rename(doc, path, arg as string);
        continue;
      }
      const apply = OPERATORS[op] as Apply;
      for (const parts of expandPath(doc, path, pathCtx)) apply(doc, parts, arg, path);
    }
  }
}

function rename(doc: Doc, from: string, to: string): void {
  const parts = from.split('.');
  const { found, value } = getAt(doc, parts);
  if (!found) return;
  for (let i = 1; i < parts.length; i++) {
    if (Array.isArray(getAt(doc, parts.slice(0, i)).value))
      throw badValue('The source field cannot be an array element');
  }
  unsetAt(doc, parts);
  setAt(doc, to.split('.'), value);
}

function checkConflicts(paths: string[]): void {
  const sorted = [...paths].sort();
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i] as string;
      const b = sorted[j] as string;
      if (b === a || b.startsWith(a + '.')) {
        throw new MongoError(40, `Updating the path '${b}' would create a conflict at '${a}'`);
      }
      if (!b.startsWith(a)) break;
    }
  }
}
