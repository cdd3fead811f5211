// An approval is bound to what the human saw: a draft answers one message
// (its trigger), and if the customer wrote again since, the draft may answer
// a question that is no longer the question. Approving it then needs an
// explicit `allow_stale: true`.
import type { MessageRecord, Store } from '../store/index.ts';
import { conflict, type ApprovalError } from './errors.ts';

export async function staleDraftError(
  store: Store,
  message: MessageRecord,
): Promise<ApprovalError | null> {
  const triggerId = message.trigger_message_id ?? message.reply_to_id;
  // A message a human wrote from scratch answers nothing in particular.
  if (!triggerId) return null;
  const trigger = await store.messages.get(message.account_id, triggerId);
  // Only sent messages are in the timeline; without a place in it there is no "after".
  if (trigger?.sequence == null) return null;
  const newer = await store.approval.customerMessageAfter(
    message.account_id,
    message.conversation_id,
    trigger.sequence,
  );
  if (!newer) return null;
  return conflict(
    'stale_draft',
    `the customer wrote again (message "${newer._id}") after the message this draft answers: ` +
      'review the conversation, then approve with "allow_stale": true to send it anyway',
  );
}
