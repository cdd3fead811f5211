// find/findAndModify projections on stored documents (so BSON types survive):
// inclusion, exclusion, $slice, $elemMatch and the positional `field.$`.
// Projections with aggregation expressions go through mingo's $project.
import { Aggregator } from 'mingo';
import { MongoError, badValue } from './errors.ts';
import { Matcher, positionalIndex, asQueryError } from './query.ts';
import { cloneValue, isPlainObject, toNumber, toView, type Doc } from './values.ts';

export type Projector = (doc: Doc) => Doc;

interface Node {
  include?: boolean;
  slice?: [number, number | undefined];
  elemMatch?: Matcher;
  positional?: boolean;
  children?: Map<string, Node>;
}

function child(node: Node, name: string): Node {
  node.children ??= new Map();
  let c = node.children.get(name);
  if (!c) node.children.set(name, (c = {}));
  return c;
}

function isExpression(v: unknown): boolean {
  if (typeof v === 'string') return true;
  if (!isPlainObject(v)) return false;
  const key = Object.keys(v)[0];
  return key !== undefined && key.startsWith('$') && key !== '$slice' && key !== '$elemMatch';
}

function parseSlice(arg: unknown): [number, number | undefined] {
  if (Array.isArray(arg) && arg.length === 2) {
    const limit = toNumber(arg[1]);
    if (limit <= 0) throw badValue('$slice limit must be positive');
    return [toNumber(arg[0]), limit];
  }
  return [toNumber(arg), undefined];
}

function applySlice(array: unknown[], [a, b]: [number, number | undefined]): unknown[] {
  if (b === undefined)
    return a >= 0 ? array.slice(0, a) : array.slice(Math.max(array.length + a, 0));
  const start = a >= 0 ? a : Math.max(array.length + a, 0);
  return array.slice(start, start + b);
}

function project(
  value: unknown,
  node: Node,
  inclusion: boolean,
  filter: Doc,
  doc: Doc,
  path: string,
): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const el of value) {
      if (isPlainObject(el)) out.push(project(el, node, inclusion, filter, doc, path));
      else if (!inclusion) out.push(el);
    }
    return out;
  }
  if (!isPlainObject(value)) return value;
  const out: Doc = {};
  for (const [key, v] of Object.entries(value)) {
    const spec = node.children?.get(key);
    const full = path ? `${path}.${key}` : key;
    if (!spec) {
      if (!inclusion) out[key] = v;
      continue;
    }
    if (spec.positional) {
      const i = positionalIndex(filter, doc, full);
      if (!Array.isArray(v) || i === undefined) {
        throw badValue(
          'Executor error during find command :: caused by :: positional operator did not match',
        );
      }
      out[key] = [v[i]];
    } else if (spec.elemMatch) {
      if (Array.isArray(v)) {
        const matcher = spec.elemMatch;
        const hit = v.find((el) => matcher.test({ [key]: [el] }));
        if (hit !== undefined) out[key] = [hit];
      }
    } else if (spec.slice) {
      out[key] = Array.isArray(v) ? applySlice(v, spec.slice) : v;
    } else if (spec.children) {
      if (isPlainObject(v) || Array.isArray(v))
        out[key] = project(v, spec, inclusion, filter, doc, full);
      else if (!inclusion) out[key] = v;
    } else if (inclusion ? spec.include === true : spec.include !== false) {
      out[key] = v;
    }
  }
  return out;
}

/** Compiles a projection document; `filter` serves the positional `$` operator. */
export function compileProjection(spec: unknown, filter: Doc = {}): Projector | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (!isPlainObject(spec)) throw badValue('projection must be an object');
  const entries = Object.entries(spec);
  if (entries.length === 0) return undefined;
  if (entries.some(([, v]) => isExpression(v))) return expressionProjector(spec);

  const root: Node = {};
  let mode: boolean | undefined;
  let idIncluded = true;
  /** `{_id: 1}` alone is an inclusion projection of `_id` only, as mongod reads it. */
  let idOnly = false;
  for (const [rawPath, v] of entries) {
    const positional = rawPath.endsWith('.$');
    const path = positional ? rawPath.slice(0, -2) : rawPath;
    let node = root;
    for (const part of path.split('.')) node = child(node, part);
    if (isPlainObject(v) && '$slice' in v) {
      node.slice = parseSlice(v.$slice);
      continue;
    }
    if (isPlainObject(v) && '$elemMatch' in v) {
      node.elemMatch = new Matcher({
        [path.split('.').pop() ?? path]: { $elemMatch: v.$elemMatch },
      });
      mode ??= true;
      continue;
    }
    const include = typeof v === 'boolean' ? v : toNumber(v) !== 0;
    if (path === '_id') {
      idIncluded = include;
      idOnly = include;
      continue;
    }
    if (positional) node.positional = true;
    if (mode !== undefined && mode !== include) {
      throw new MongoError(
        include ? 31253 : 31254,
        include
          ? `Cannot do inclusion on field ${path} in exclusion projection`
          : `Cannot do exclusion on field ${path} in inclusion projection`,
      );
    }
    mode = include;
    node.include = include;
  }
  const inclusion = mode ?? idOnly;
  if (inclusion && idIncluded) child(root, '_id').include = true;
  if (!idIncluded) child(root, '_id').include = false;
  return (doc) => project(doc, root, inclusion, filter, doc, '') as Doc;
}

function expressionProjector(spec: Doc): Projector {
  let aggregator: Aggregator;
  try {
    aggregator = new Aggregator([{ $project: spec }], { scriptEnabled: false });
  } catch (error) {
    throw asQueryError(error);
  }
  return (doc) => {
    try {
      return aggregator.run([cloneValue(toView(doc))])[0] as Doc;
    } catch (error) {
      throw asQueryError(error);
    }
  };
}
