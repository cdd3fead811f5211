// Errors the store raises or recognises, so callers never need the MongoDB
// driver to tell "already exists" from "broken".

/** A list cursor that this store did not produce (or for another list). API: 400. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  readonly code = 'invalid_cursor';
  constructor() {
    super('the cursor is not valid for this list');
  }
}

/** The database could not be reached or answered with an error at connect time. */
export class StoreConnectError extends Error {
  override readonly name = 'StoreConnectError';
}

interface DriverError {
  code?: unknown;
  message?: unknown;
  keyPattern?: unknown;
}

/**
 * E11000: a unique index refused the write. With `index`, only when that index
 * did (by name, or by a key of its pattern) — real MongoDB reports both, other
 * wire-compatible servers sometimes only the message.
 */
export function isDuplicateKeyError(error: unknown, index?: string): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, message, keyPattern } = error as DriverError;
  const text = typeof message === 'string' ? message : '';
  if (code !== 11000 && code !== 11001 && !text.includes('E11000')) return false;
  if (index === undefined) return true;
  if (indexNameOf(keyPattern) === index) return true;
  return text.includes(`index: ${index} `) || text.endsWith(`index: ${index}`);
}

/** The default MongoDB index name for a key pattern: `a_1_b_-1`. */
function indexNameOf(keyPattern: unknown): string | null {
  if (!keyPattern || typeof keyPattern !== 'object') return null;
  return Object.entries(keyPattern as Record<string, unknown>)
    .map(([key, direction]) => `${key}_${String(direction)}`)
    .join('_');
}
