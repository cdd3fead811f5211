// The case workflow (seed enum workflow_status) as a pure function of events.
// Every event is handled for every status: the switch is exhaustive, so a new
// event or status is a compile error until its rule is written.
// The enum itself is the seed's, kept with the other stored enums.
import { WORKFLOW_STATUSES, type WorkflowStatus } from './enums.ts';

export { WORKFLOW_STATUSES, type WorkflowStatus };

export type WorkflowEvent =
  /** Another customer message on an existing case. */
  | { type: 'customer_replied' }
  /** An agent's draft finished streaming and awaits a human. */
  | { type: 'draft_completed' }
  /** A human rejected the last draft awaiting approval: the case needs working again. */
  | { type: 'last_draft_rejected' }
  /** Our reply reached the customer's mail server. */
  | { type: 'reply_delivered' }
  /** A reply failed for good: a human must look. */
  | { type: 'delivery_failed' }
  /** A human moved the case (POST .../actions/set-status). */
  | { type: 'status_set'; to: WorkflowStatus };

export interface WorkflowChange {
  workflow_status: WorkflowStatus;
  /** Set when the case is resolved; cleared (null) when it reopens; undefined: unchanged. */
  closed_at?: Date | null;
}

export function nextWorkflow(
  current: WorkflowStatus,
  event: WorkflowEvent,
  now: Date,
): WorkflowChange {
  switch (event.type) {
    case 'customer_replied':
      // A reply reopens a resolved case and unblocks one waiting on the customer;
      // a case still untriaged, awaiting approval or blocked internally stays put.
      if (current === 'resolved') return { workflow_status: 'open', closed_at: null };
      if (current === 'waiting_external') return { workflow_status: 'open' };
      return { workflow_status: current };
    case 'draft_completed':
      return reopening(current, 'needs_approval');
    case 'last_draft_rejected':
      return { workflow_status: current === 'needs_approval' ? 'open' : current };
    case 'reply_delivered':
      return reopening(current, 'waiting_external');
    case 'delivery_failed':
      return reopening(current, 'waiting_internal');
    case 'status_set':
      if (event.to === 'resolved') {
        return { workflow_status: 'resolved', closed_at: current === 'resolved' ? undefined : now };
      }
      return reopening(current, event.to);
    default:
      return assertNever(event);
  }
}

function reopening(current: WorkflowStatus, to: WorkflowStatus): WorkflowChange {
  return current === 'resolved'
    ? { workflow_status: to, closed_at: null }
    : { workflow_status: to };
}

function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
