// Levenshtein distance between the draft an agent wrote and the text a human
// approved: how much the human had to change (stored as approval.edit_distance).
// Counted in Unicode code points, so an emoji or an accented letter written as
// one character is one edit, not two UTF-16 units.
//
// Memory is linear: one row of the dynamic-programming table at a time.
// Work is bounded: the common prefix and suffix are cut first (a typical edit
// touches a few places of a long text), then
// - if the remaining table fits the budget, the exact distance is computed;
// - else a band of the table around its diagonal is computed (Ukkonen): exact
//   whenever the distance is at most the band's half-width, which the budget
//   sets (e.g. a 100,000-character reply still gets about 80 exact edits);
// - else the texts differ too much to measure within the budget, and the result
//   is an upper bound (the longer remaining length: every position rewritten),
//   flagged `exact: false`. A human who rewrote a draft that far rewrote it.

/** Table cells computed at most per call: about 50-100 ms of work in V8. */
const DEFAULT_MAX_CELLS = 16_000_000;

export interface EditMeasure {
  distance: number;
  /** False when the budget ran out and `distance` is an upper bound. */
  exact: boolean;
}

/** The edit distance, exact when measurable within the budget (see the module comment). */
export function editDistance(a: string, b: string, maxCells = DEFAULT_MAX_CELLS): number {
  return measureEdit(a, b, maxCells).distance;
}

export function measureEdit(a: string, b: string, maxCells = DEFAULT_MAX_CELLS): EditMeasure {
  if (a === b) return { distance: 0, exact: true };
  const [x, y] = trimCommon(codePoints(a), codePoints(b));
  // Columns run over the shorter text, so a row is as small as it can be.
  const [long, short] = x.length >= y.length ? [x, y] : [y, x];
  if (short.length === 0) return { distance: long.length, exact: true };
  if (long.length * short.length <= maxCells) {
    return { distance: fullDistance(long, short), exact: true };
  }
  // Band half-width k: (2k + 1) cells per row over `long.length` rows.
  const k = Math.floor((maxCells / long.length - 1) / 2);
  const gap = long.length - short.length;
  if (k >= gap && k >= 1) {
    const banded = bandedDistance(long, short, k);
    if (banded <= k) return { distance: banded, exact: true };
  }
  return { distance: long.length, exact: false };
}

/**
 * The distance as a share of the longer text (0: unchanged, 1: every
 * character rewritten), so a long reply and a short one compare. In code
 * points, as the distance is counted.
 */
export function editRatio(distance: number, a: string, b: string): number {
  const longer = Math.max(lengthOf(a), lengthOf(b));
  return longer === 0 ? 0 : Math.min(1, distance / longer);
}

function lengthOf(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function codePoints(text: string): Int32Array {
  const points = new Int32Array(text.length);
  let n = 0;
  for (const char of text) points[n++] = char.codePointAt(0) ?? 0;
  return points.subarray(0, n);
}

/** Drop the common prefix and suffix: they cost nothing and are most of a light edit. */
function trimCommon(a: Int32Array, b: Int32Array): [Int32Array, Int32Array] {
  let start = 0;
  const max = Math.min(a.length, b.length);
  while (start < max && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  return [a.subarray(start, endA), b.subarray(start, endB)];
}

/** Wagner-Fischer keeping a single row over `short`'s columns (plus one saved diagonal). */
function fullDistance(long: Int32Array, short: Int32Array): number {
  const row = new Int32Array(short.length + 1);
  for (let j = 0; j <= short.length; j++) row[j] = j;
  for (let i = 1; i <= long.length; i++) {
    let diagonal = row[0] ?? 0; // D[i-1][j-1]
    row[0] = i;
    const char = long[i - 1];
    for (let j = 1; j <= short.length; j++) {
      const above = row[j] ?? 0; // D[i-1][j]
      const left = row[j - 1] ?? 0; // D[i][j-1]
      const substitute = diagonal + (char === short[j - 1] ? 0 : 1);
      row[j] = Math.min(substitute, above + 1, left + 1);
      diagonal = above;
    }
  }
  return row[short.length] ?? 0;
}

/**
 * The distance if it is at most k, else some value > k. Only cells with
 * |i - j| <= k can lie on a path costing <= k, so the rest count as k + 1.
 * One row of the full width is kept (linear memory); the work is the band.
 */
function bandedDistance(long: Int32Array, short: Int32Array, k: number): number {
  const over = k + 1;
  const row = new Int32Array(short.length + 1).fill(over);
  for (let j = 0; j <= Math.min(short.length, k); j++) row[j] = j;
  for (let i = 1; i <= long.length; i++) {
    const from = Math.max(1, i - k);
    const to = Math.min(short.length, i + k);
    let diagonal = row[from - 1] ?? over; // D[i-1][from-1]
    // Column `from - 1` of this row: inside the band only at column 0.
    row[from - 1] = from - 1 === 0 && i <= k ? i : over;
    const char = long[i - 1];
    let best = row[from - 1] ?? over;
    for (let j = from; j <= to; j++) {
      const above = j <= i - 1 + k ? (row[j] ?? over) : over; // D[i-1][j]
      const left = row[j - 1] ?? over;
      const substitute = diagonal + (char === short[j - 1] ? 0 : 1);
      const value = Math.min(substitute, above + 1, left + 1, over);
      row[j] = value;
      if (value < best) best = value;
      diagonal = above;
    }
    // Every path to the end goes through this row's band: none is cheap enough.
    if (best > k) return over;
  }
  return row[short.length] ?? over;
}
