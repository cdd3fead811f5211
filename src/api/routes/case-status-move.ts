// A human moving a case's workflow_status (actions/set-status, and seed D's
// open/closed on PATCH/PUT), audited. The move is conditional on the status it
// was computed from; another writer (ingest, delivery) moving the case
// meanwhile makes us recompute. Each round has a winner, so a handful of
// rounds only runs out under a pathological storm.
import type { FastifyBaseLogger } from 'fastify';
import { change, recordAudit } from '../../audit/recorder.ts';
import { nextWorkflow } from '../../conversations/workflow.ts';
import type { ConversationRecord, Store, WorkflowStatus } from '../../store/index.ts';
import { ApiError } from '../errors.ts';
import { conversationOr404 } from './conversation-view.ts';

const MAX_MOVE_ATTEMPTS = 5;

/** Where the case should go from `current`; null: leave it where it is. */
export type StatusTarget = (current: WorkflowStatus) => WorkflowStatus | null;

export interface StatusMove {
  store: Store;
  log: FastifyBaseLogger;
  account_id: string;
  actor_id: string;
  conversation_id: string;
  target: StatusTarget;
}

/** 422 unless the conversation is a customer case (the only kind with a workflow). */
export function assertCase(conversation: ConversationRecord): void {
  if (conversation.audience !== 'customer') {
    throw new ApiError(
      'unprocessable',
      'not_a_case',
      `conversation "${conversation._id}" is ${conversation.audience}: only customer cases have a workflow_status`,
    );
  }
}

export async function moveCaseStatus(move: StatusMove): Promise<ConversationRecord> {
  const { store, account_id } = move;
  for (let attempt = 1; attempt <= MAX_MOVE_ATTEMPTS; attempt++) {
    const conversation = await conversationOr404(store, account_id, move.conversation_id);
    assertCase(conversation);
    const expected = conversation.workflow_status;
    // A customer case always has a status; a legacy null one counts as untriaged.
    const to = move.target(expected ?? 'new');
    if (to === null) return conversation;
    const next = nextWorkflow(expected ?? 'new', { type: 'status_set', to }, new Date());
    const updated = await store.conversations.moveWorkflow(
      account_id,
      conversation._id,
      expected,
      next,
    );
    if (!updated) continue;
    if (updated.workflow_status !== expected) {
      await recordAudit(store, move.log, {
        account_id,
        conversation_id: updated._id,
        kind: 'workflow_status_changed',
        actor_id: move.actor_id,
        changes: [change('workflow_status', expected, updated.workflow_status)],
      });
    }
    return updated;
  }
  throw new ApiError(
    'conflict',
    'concurrent_update',
    'the case kept changing while its status was being set: retry',
  );
}
