// What a role started and the runtime stops on shutdown. Roles return these
// instead of registering themselves, so the shutdown order is decided in one
// place (runtime/start.ts, through runtime/roles.ts).

export interface Stoppable {
  /** Names the part in the shutdown log when its stop fails or hangs. */
  name: string;
  stop(): Promise<void>;
}
