// Agent run status transitions. A run is created `queued` (or `capped`, which
// never runs); the store moves it with conditional updates on the `from`
// statuses, so a canceled run is never revived by a late worker.
import { AGENT_RUN_STATUSES, type AgentRunStatus } from './enums.ts';
import { defineLifecycle } from './lifecycle.ts';

/** The statuses a run is created in. */
export const AGENT_RUN_INITIAL = ['queued', 'capped'] as const satisfies readonly AgentRunStatus[];

export const AGENT_RUN_LIFECYCLE = defineLifecycle(AGENT_RUN_STATUSES, {
  /** A worker starts an attempt (a retried attempt starts again from running). */
  start: { from: ['queued', 'running'], to: 'running' },
  /** An attempt failed and will be retried: its error is noted, the run stays running. */
  note_error: { from: ['running'], to: 'running' },
  complete: { from: ['running'], to: 'completed' },
  fail: { from: ['queued', 'running'], to: 'failed' },
  cancel: { from: ['queued', 'running'], to: 'canceled' },
  /** A budget refused the run before the model was asked (agents/budget). */
  cap: { from: ['queued', 'running'], to: 'capped' },
});
export type AgentRunTransition = keyof typeof AGENT_RUN_LIFECYCLE.transitions;
