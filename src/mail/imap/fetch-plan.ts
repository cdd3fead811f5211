// Which UIDs to fetch, and in which groups, so a pass never holds more than one
// bounded batch of message sources in memory. Pure functions, unit tested.

/**
 * The UIDs above `lastUid`, ascending. `UID SEARCH UID n:*` answers with the
 * highest UID even when it is below n (`*` is "the largest UID in use", and
 * n:* is the same set as *:n), so the answer must be filtered, not trusted.
 */
export function pendingUids(found: readonly number[], lastUid: number): number[] {
  return [...new Set(found)].filter((uid) => uid > lastUid).sort((a, b) => a - b);
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('chunk size must be >= 1');
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Splits messages (in UID order) into consecutive groups whose sizes add up to
 * at most `maxBytes`; a message larger than that on its own gets a group alone.
 */
export function groupBySize<T extends { size: number }>(
  items: readonly T[],
  maxBytes: number,
): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && bytes + item.size > maxBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** A UID set for FETCH: consecutive runs compressed ("3:7,9,12:13"), so long batches stay short. */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  let start: number | undefined;
  let previous: number | undefined;
  const flush = (): void => {
    if (start === undefined || previous === undefined) return;
    parts.push(start === previous ? String(start) : `${start}:${previous}`);
  };
  for (const uid of sorted) {
    if (previous !== undefined && uid === previous + 1) {
      previous = uid;
      continue;
    }
    flush();
    start = uid;
    previous = uid;
  }
  flush();
  return parts.join(',');
}
