// The one workflow move with its retry loop: compute the change from the case
// as last read, write it only while the case is still in that state, and on a
// lost race read again and recompute. No I/O here: the caller passes the read
// and the conditional write, and chooses what running out of rounds means.

/** Each round has a winner, so a handful of rounds only runs out under a storm. */
const MAX_MOVE_ROUNDS = 5;

export type MoveCaseResult<C> =
  | { kind: 'moved'; case: C }
  /** The case is gone (the read answered null). */
  | { kind: 'gone' }
  /** Every round lost to another writer. */
  | { kind: 'contended' };

export async function moveCase<C, Change>(steps: {
  /** The case as first seen (round 1 skips the read), or null to read it. */
  seen?: C | null;
  read: () => Promise<C | null>;
  /** The change `current` calls for (null: a write that changes nothing else). */
  plan: (current: C) => Change;
  /** The conditional write: null or false when the case moved meanwhile. */
  write: (current: C, change: Change) => Promise<C | boolean | null>;
  rounds?: number;
}): Promise<MoveCaseResult<C>> {
  const rounds = steps.rounds ?? MAX_MOVE_ROUNDS;
  for (let round = 0; round < rounds; round++) {
    const current = round === 0 && steps.seen ? steps.seen : await steps.read();
    if (!current) return { kind: 'gone' };
    const written = await steps.write(current, steps.plan(current));
    if (written === true) return { kind: 'moved', case: current };
    if (written) return { kind: 'moved', case: written };
  }
  return { kind: 'contended' };
}
