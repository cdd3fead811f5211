// The internal alert a run leaves on its case when it will not draft (failed
// for good, refused by a budget, lost and given up by the reconciler): the team
// sees in the thread why no draft is coming, live.
import type { Publisher } from '../realtime/events.ts';
import type { MessageRecord, Store } from '../store/index.ts';

export interface AlertedRun {
  run_id: string;
  account_id: string;
  conversation_id: string;
  trigger_message_id: string;
}

export async function postRunAlert(
  deps: { store: Store; publisher: Publisher },
  run: AlertedRun,
  body: string,
): Promise<MessageRecord> {
  const alert = await deps.store.messages.appendSent({
    account_id: run.account_id,
    conversation_id: run.conversation_id,
    kind: 'alert',
    visibility: 'internal',
    channel: 'message',
    body,
    reply_to_id: run.trigger_message_id,
    trigger_message_id: run.trigger_message_id,
    agent_run_id: run.run_id,
  });
  await deps.publisher.publish({
    type: 'message.created',
    conversation_id: run.conversation_id,
    message_id: alert._id,
  });
  return alert;
}
