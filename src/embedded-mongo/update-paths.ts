// Dotted update paths: expanding the positional forms ($, $[], $[id]) into
// concrete paths for one document, and reading/writing/removing at a concrete
// path with mongod's rules for creating intermediate fields.
import { MongoError, badValue } from './errors.ts';
import { formatValue } from './format.ts';
import { isPlainObject, type Doc } from './values.ts';

export interface PathContext {
  /** Index matched by the query, for `$` (computed lazily, once per document). */
  positional(arrayPath: string): number | undefined;
  arrayFilters: Map<string, (element: unknown) => boolean>;
}

const FILTER_ID = /^\$\[([a-z][A-Za-z0-9]*)?\]$/;

export function arrayFilterIds(path: string): string[] {
  const ids: string[] = [];
  for (const part of path.split('.')) {
    const m = FILTER_ID.exec(part);
    if (m?.[1]) ids.push(m[1]);
  }
  return ids;
}

function childOf(v: unknown, part: string): unknown {
  if (isPlainObject(v)) return Object.hasOwn(v, part) ? v[part] : undefined;
  if (Array.isArray(v) && /^\d+$/.test(part)) return v[Number(part)];
  return undefined;
}

export function expandPath(doc: Doc, path: string, ctx: PathContext): string[][] {
  const parts = path.split('.');
  if (!parts.some((p) => p.startsWith('$'))) return [parts];
  const out: string[][] = [];
  const walk = (value: unknown, i: number, prefix: string[]): void => {
    if (i === parts.length) {
      out.push(prefix);
      return;
    }
    const part = parts[i] as string;
    if (part === '$') {
      const index = ctx.positional(prefix.join('.'));
      if (index === undefined)
        throw badValue('The positional operator did not find the match needed from the query.');
      walk(childOf(value, String(index)), i + 1, [...prefix, String(index)]);
      return;
    }
    const m = FILTER_ID.exec(part);
    if (!m) {
      walk(childOf(value, part), i + 1, [...prefix, part]);
      return;
    }
    if (!Array.isArray(value)) {
      throw badValue(
        `The path '${prefix.join('.')}' must exist in the document in order to apply array updates.`,
      );
    }
    const id = m[1];
    const filter = id === undefined ? undefined : ctx.arrayFilters.get(id);
    if (id !== undefined && !filter)
      throw badValue(`No array filter found for identifier '${id}' in path '${path}'`);
    value.forEach((el, index) => {
      if (!filter || filter(el)) walk(el, i + 1, [...prefix, String(index)]);
    });
  };
  walk(doc, 0, []);
  return out;
}

export function getAt(doc: Doc, parts: string[]): { found: boolean; value: unknown } {
  let v: unknown = doc;
  for (const part of parts) {
    if (isPlainObject(v)) {
      if (!Object.hasOwn(v, part)) return { found: false, value: undefined };
      v = v[part];
    } else if (Array.isArray(v) && /^\d+$/.test(part) && Number(part) < v.length) {
      v = v[Number(part)];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: v };
}

function setChild(container: Doc | unknown[], part: string, value: unknown, parent: string): void {
  if (Array.isArray(container)) {
    if (!/^\d+$/.test(part)) {
      throw new MongoError(
        28,
        `Cannot create field '${part}' in element {${parent}: ${formatValue(container)}}`,
      );
    }
    const index = Number(part);
    while (container.length < index) container.push(null);
    container[index] = value;
  } else {
    container[part] = value;
  }
}

/** Sets a value, creating missing intermediate documents as mongod does. */
export function setAt(doc: Doc, parts: string[], value: unknown): void {
  let container: Doc | unknown[] = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    let next = childOf(container, part);
    if (next === undefined || (next === null && Array.isArray(container))) {
      next = {};
      setChild(container, part, next, parts[i - 1] ?? '');
    }
    if (!isPlainObject(next) && !Array.isArray(next)) {
      throw new MongoError(
        28,
        `Cannot create field '${parts[i + 1]}' in element {${part}: ${formatValue(next)}}`,
      );
    }
    container = next;
  }
  setChild(container, parts[parts.length - 1] as string, value, parts[parts.length - 2] ?? '');
}

/** Removes a field; an array element becomes null, as with mongod's $unset. */
export function unsetAt(doc: Doc, parts: string[]): boolean {
  const parent = getAt(doc, parts.slice(0, -1)).value;
  const last = parts[parts.length - 1] as string;
  if (isPlainObject(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
    return true;
  }
  if (Array.isArray(parent) && /^\d+$/.test(last) && Number(last) < parent.length) {
    parent[Number(last)] = null;
    return true;
  }
  return false;
}
