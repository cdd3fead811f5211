// The conditional filters and status writes of the lifecycle tables
// (src/conversations/*-lifecycle.ts): a repository names the transition it
// applies and never spells a status list of its own.
import {
  AGENT_RUN_LIFECYCLE,
  type AgentRunTransition,
} from '../../conversations/agent-run-lifecycle.ts';
import {
  MESSAGE_LIFECYCLE,
  type MessageTransition,
} from '../../conversations/message-lifecycle.ts';

function statusIn<S extends string>(from: readonly S[]): S | { $in: S[] } {
  return from.length === 1 ? (from[0] as S) : { $in: [...from] };
}

/** `{ status }` matching the messages `name` may move. */
export function messageFrom(name: MessageTransition) {
  return { status: statusIn(MESSAGE_LIFECYCLE.transitions[name].from) };
}

/** The status `name` moves a message to. */
export function messageTo<N extends MessageTransition>(name: N) {
  return MESSAGE_LIFECYCLE.transitions[name].to;
}

/** `{ status }` matching the runs `name` may move. */
export function runFrom(name: AgentRunTransition) {
  return { status: statusIn(AGENT_RUN_LIFECYCLE.transitions[name].from) };
}

export function runTo(name: AgentRunTransition) {
  return AGENT_RUN_LIFECYCLE.transitions[name].to;
}

/** Runs still in flight (queued or running): what a newer message aborts, what the reconciler checks. */
export const LIVE_RUNS = { status: statusIn(AGENT_RUN_LIFECYCLE.live) };
