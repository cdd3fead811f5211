// A lifecycle as a pure table: the stored statuses and the named transitions
// between them. The store builds its conditional filters (`status` in the
// transition's `from`) and its `$set: { status }` from these tables, so a
// transition is written down here and nowhere else.

export interface Transition<S extends string> {
  readonly from: readonly S[];
  readonly to: S;
}

export interface Lifecycle<S extends string, N extends string> {
  readonly statuses: readonly S[];
  readonly transitions: { readonly [K in N]: Transition<S> };
  /** Some named transition leads from `from` to `to`. */
  canTransition(from: S, to: S): boolean;
  /** The statuses some transition leads to `to` from, in the enum's order. */
  fromStatesFor(to: S): S[];
  /** The named transition applies to a record in `status`. */
  canApply(name: N, status: S): boolean;
  /** No transition leaves `status`: the record is settled. */
  isTerminal(status: S): boolean;
  /** The statuses some transition leaves (the record is still in flight). */
  readonly live: readonly S[];
}

export function defineLifecycle<S extends string, N extends string>(
  statuses: readonly S[],
  transitions: { readonly [K in N]: Transition<S> },
): Lifecycle<S, N> {
  const all = Object.values<Transition<S>>(transitions);
  const canTransition = (from: S, to: S) => all.some((t) => t.to === to && t.from.includes(from));
  const isTerminal = (status: S) => !all.some((t) => t.from.includes(status));
  return {
    statuses,
    transitions,
    canTransition,
    fromStatesFor: (to) => statuses.filter((from) => canTransition(from, to)),
    canApply: (name, status) => transitions[name].from.includes(status),
    isTerminal,
    live: statuses.filter((status) => !isTerminal(status)),
  };
}
