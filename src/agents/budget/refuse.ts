// A run a budget refused: it ends `capped` with the reason (error code
// `budget_exceeded`), the case gets an internal alert saying which budget,
// and the audit trail records it. No draft exists; nothing was sent to the model.
import { change, recordAudit } from '../../audit/recorder.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Publisher } from '../../realtime/events.ts';
import type { Store } from '../../store/index.ts';
import { postRunAlert } from '../run-alert.ts';
import type { BudgetRefusal } from './budget.ts';

export async function refuseForBudget(
  deps: { store: Store; publisher: Publisher; logger: Logger },
  run: { _id: string; account_id: string; conversation_id: string; trigger_message_id: string },
  agent: { _id: string; name: string },
  refusal: BudgetRefusal,
): Promise<void> {
  const { store } = deps;
  const ended = await store.agentRuns.end(run._id, 'capped', {
    code: 'budget_exceeded',
    message: refusal.message,
  });
  if (!ended) return;
  const alert = await postRunAlert(
    deps,
    {
      run_id: run._id,
      account_id: run.account_id,
      conversation_id: run.conversation_id,
      trigger_message_id: run.trigger_message_id,
    },
    `${agent.name} did not draft a reply: ${refusal.message}.`,
  );
  await recordAudit(store, deps.logger, {
    account_id: run.account_id,
    conversation_id: run.conversation_id,
    kind: 'agent_budget_exceeded',
    actor_id: agent._id,
    message_id: alert._id,
    changes: [
      change('budget', null, refusal.budget),
      change('limit', null, refusal.limit),
      change('spent', null, refusal.spent),
      change('estimate', null, refusal.estimate),
    ],
  });
  deps.logger.warn({ run: run._id, ...refusal }, 'agent run refused: over budget');
}
