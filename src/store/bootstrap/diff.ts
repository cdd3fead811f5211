// Change detection for bootstrap: which owned fields differ from what is
// stored. Writing only those (and nothing when none differ) keeps updated_at
// meaningful: applying the same file twice changes nothing.
import { isDeepStrictEqual } from 'node:util';

/** The fields of `desired` whose value differs from `stored` (compared as data). */
export function changedFields(
  stored: Record<string, unknown>,
  desired: Record<string, unknown>,
): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(desired)) {
    if (!isDeepStrictEqual(canonical(stored[field]), canonical(value))) changed[field] = value;
  }
  return changed;
}

/**
 * Plain data for comparison: key order ignored, and an absent key equal to a
 * null one (the schema may store defaults as null where the config omits them).
 */
export function canonical(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const child = canonical((value as Record<string, unknown>)[key]);
      if (child !== null) out[key] = child;
    }
    return out;
  }
  return value;
}
