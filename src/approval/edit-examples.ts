// Learning from edits: an agent draft approved with a changed body leaves the
// pair (what the agent wrote, what the human approved) for the agent's later
// runs to learn from (src/agents/learning/edit-examples.ts). Best effort: the
// approval stands whether or not the pair could be stored.
import type { Logger } from '../platform/logger.ts';
import type { MessageRecord, Store } from '../store/index.ts';

export async function rememberEdit(
  store: Pick<Store, 'editExamples' | 'messages'>,
  logger: Pick<Logger, 'warn'>,
  approved: MessageRecord,
): Promise<void> {
  const approval = approved.approval;
  if (approved.kind !== 'agent' || !approved.sender_id || !approval) return;
  const draft = approval.original_body ?? '';
  const sent = approved.body ?? '';
  if (draft === sent || sent.trim() === '') return;
  try {
    const triggerId = approved.trigger_message_id ?? approved.reply_to_id;
    const trigger = triggerId ? await store.messages.get(approved.account_id, triggerId) : null;
    await store.editExamples.record({
      account_id: approved.account_id,
      agent_id: approved.sender_id,
      conversation_id: approved.conversation_id,
      message_id: approved._id,
      trigger_text: trigger?.body ?? '',
      draft,
      approved: sent,
      edit_ratio: approval.edit_ratio ?? 0,
    });
  } catch (error) {
    logger.warn({ err: error, message: approved._id }, 'could not store the edit example');
  }
}
