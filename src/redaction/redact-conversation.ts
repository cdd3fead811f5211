// Redacting a conversation (GDPR erasure), every place Postroom keeps it:
// the case (title, subject, the customer's name and address, the topic), the
// messages (bodies, headers, drafts, attachments, raw sources, whole bodies in
// GridFS), agent runs, stored Idempotency-Key replies, inbound-failure
// records, the audit trail's quoted values, and, when the queues are at hand,
// finished jobs and receipts in Redis. What stays carries no content: ids,
// times, statuses, sequences, counts.
//
// Order matters for a crash halfway, and a repeat (it is idempotent)
// finishes the job: what identifies the customer is read first (later steps
// need the addresses); the conversation is marked next (the legal-hold check
// is part of that atomic update); pending replies are stopped before their
// bodies are erased (a streaming draft would otherwise write again); files go
// before the references to them.
import { change, recordAudit } from '../audit/recorder.ts';
import type { Logger } from '../platform/logger.ts';
import type { ConversationRecord, Store } from '../store/index.ts';
import { eraseQueueHistory, type QueueHistoryDeps } from './queue-history.ts';

export interface RedactionDeps {
  store: Store;
  logger: Pick<Logger, 'info' | 'error'>;
  /** Absent where the API runs without Redis (tests of the store alone). */
  queueHistory?: QueueHistoryDeps;
}

export interface RedactionRequest {
  account_id: string;
  conversation_id: string;
  /** Who redacts (the API key's actor), for the audit trail and the canceled replies. */
  actor_id: string | null;
  /** The redaction request's own Idempotency-Key record: its reply stays replayable. */
  idempotency_id: string | null;
}

export type RedactionOutcome =
  | { outcome: 'redacted'; conversation: ConversationRecord }
  | { outcome: 'legal_hold' }
  | { outcome: 'not_found' };

// GridFS ids are ObjectIds; anything else cannot name a stored file.
const GRIDFS_ID = /^[0-9a-f]{24}$/i;

export async function redactConversation(
  deps: RedactionDeps,
  request: RedactionRequest,
  now: Date = new Date(),
): Promise<RedactionOutcome> {
  const { store } = deps;
  const { account_id: accountId, conversation_id: conversationId } = request;
  const redaction = store.conversationRedaction;

  const identity = await redaction.identity(accountId, conversationId);
  const mark = await store.conversations.markRedacted(accountId, conversationId, now);
  if (mark.outcome !== 'marked') return mark;

  const pending = await redaction.cancelPending(accountId, conversationId, request.actor_id, now);
  const plan = await store.messageRedaction.plan(accountId, conversationId);
  const failureFiles = await redaction.inboundFailureFiles(accountId, identity.email_message_ids);
  const files = [...new Set([...plan.file_ids, ...failureFiles])];
  for (const fileId of files) {
    if (GRIDFS_ID.test(fileId)) await store.files.remove(fileId);
  }
  await redaction.eraseInboundFailures(accountId, identity.email_message_ids);
  const rewritten = await store.messageRedaction.apply(
    accountId,
    conversationId,
    plan.message_ids,
    now,
    identity.addresses,
  );
  await redaction.eraseIdentity(accountId, conversationId);
  await redaction.eraseAgentRuns(accountId, conversationId);
  // After the messages are marked redacted, so no later reply sync copies them back.
  const knowledge = await store.knowledge.removeConversation(accountId, conversationId);
  const replies = await redaction.eraseReplies(
    accountId,
    conversationId,
    plan.message_ids,
    request.idempotency_id,
  );
  await store.audit.eraseContent(accountId, conversationId);
  // Webhook payloads quoted the case (its title, subjects): erased, the delivery history kept.
  await store.webhooks.redactConversation(accountId, conversationId);
  const jobs = deps.queueHistory
    ? await eraseQueueHistory(deps.queueHistory, {
        account_id: accountId,
        message_ids: plan.message_ids,
        email_message_ids: identity.email_message_ids,
        file_ids: files,
        addresses: identity.addresses,
      })
    : 0;

  // No draft awaits approval any more: the case goes back to being worked
  // (`open`), the lane a rejected last draft leads to (an audit entry of its own).
  await store.conversations.applyWorkflowEvent(
    accountId,
    conversationId,
    { type: 'last_draft_rejected' },
    now,
    request.actor_id,
  );

  await recordAudit(
    store,
    deps.logger,
    {
      account_id: accountId,
      conversation_id: conversationId,
      kind: 'redacted',
      actor_id: request.actor_id,
      changes: [
        change('messages_redacted', null, rewritten),
        change('files_deleted', null, files.length),
        change('drafts_rejected', null, pending.drafts_rejected),
        change('scheduled_canceled', null, pending.scheduled_canceled),
        change('idempotency_replies_erased', null, replies),
        change('queue_jobs_removed', null, jobs),
        change('knowledge_replies_removed', null, knowledge),
      ],
    },
    now,
  );
  deps.logger.info(
    { conversation: conversationId, messages: rewritten, files: files.length, jobs, replies },
    'conversation redacted',
  );
  const conversation = await store.conversations.get(accountId, conversationId);
  return { outcome: 'redacted', conversation: conversation ?? mark.conversation };
}
