// Opaque list cursors: base64url JSON naming the list, the ordering segment and
// the sort-key values of the item the page stops at. Opaque to clients, so the
// format may change; decoding checks every value's type so a forged or stale
// cursor is a clean 400 (InvalidCursorError), never a malformed query.
import { InvalidCursorError } from '../errors.ts';

export type KeyType = 'date' | 'string' | 'number';
export type KeyValue = Date | string | number;

interface CursorJson {
  l: string;
  s: number;
  k: Array<string | number>;
}

export interface DecodedCursor {
  segment: number;
  values: KeyValue[];
}

export function encodeCursor(list: string, segment: number, values: readonly KeyValue[]): string {
  const json: CursorJson = {
    l: list,
    s: segment,
    k: values.map((value) => (value instanceof Date ? value.toISOString() : value)),
  };
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

/** `keyTypes(segment)` gives the key types of a segment, or null for no such segment. */
export function decodeCursor(
  cursor: string,
  list: string,
  keyTypes: (segment: number) => readonly KeyType[] | null,
): DecodedCursor {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!json || typeof json !== 'object') throw new InvalidCursorError();
  const { l, s, k } = json as Partial<CursorJson>;
  if (l !== list || typeof s !== 'number' || !Array.isArray(k)) throw new InvalidCursorError();
  const types = keyTypes(s);
  if (!types || types.length !== k.length) throw new InvalidCursorError();
  const values = k.map((raw, i) => decodeValue(raw, types[i]));
  return { segment: s, values };
}

function decodeValue(raw: unknown, type: KeyType | undefined): KeyValue {
  switch (type) {
    case 'date': {
      const date = typeof raw === 'string' ? new Date(raw) : null;
      if (!date || Number.isNaN(date.getTime())) throw new InvalidCursorError();
      return date;
    }
    case 'string':
      if (typeof raw !== 'string') throw new InvalidCursorError();
      return raw;
    case 'number':
      if (typeof raw !== 'number' || !Number.isFinite(raw)) throw new InvalidCursorError();
      return raw;
    default:
      throw new InvalidCursorError();
  }
}
