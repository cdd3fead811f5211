// `postroom cases`: list cases, and approve, reject or retry a reply, through
// the same approval rules and audit trail as the API. An id may be the
// message's or its case's (then the one draft, or failed reply, in it).
import { approveMessage } from '../approval/approve.ts';
import type { ApprovalDeps } from '../approval/deps.ts';
import { rejectDraft } from '../approval/dismiss.ts';
import { retryFailed } from '../approval/retry.ts';
import { change, recordAudit } from '../audit/recorder.ts';
import {
  WORKFLOW_STATUSES,
  type MessageStatus,
  type WorkflowStatus,
} from '../conversations/enums.ts';
import type { MessageRecord, Store } from '../store/index.ts';
import type { CliContext } from './context.ts';
import { table } from './output.ts';
import { UsageError } from './usage-error.ts';

export async function listCases(
  cli: CliContext,
  account: string,
  options: { status: string[]; mailbox?: string; limit: number },
): Promise<void> {
  const unknown = options.status.filter(
    (s) => !(WORKFLOW_STATUSES as readonly string[]).includes(s),
  );
  if (unknown.length > 0)
    throw new UsageError(
      `unknown status ${unknown.join(', ')}; statuses are ${WORKFLOW_STATUSES.join(', ')}`,
    );
  const store = await cli.store();
  const page = await store.conversations.list(
    account,
    {
      ...(options.status.length ? { workflow_status: options.status as WorkflowStatus[] } : {}),
      ...(options.mailbox ? { mailbox_id: options.mailbox } : {}),
    },
    { limit: options.limit },
  );
  const rows: string[][] = [];
  for (const c of page.items) {
    const pending = await store.messages.listForConversation(account, c._id, {
      status: ['draft', 'failed'],
      limit: 5,
    });
    rows.push([
      `#${c.case_number}`,
      c._id,
      c.workflow_status ?? '-',
      c.mailbox_id ?? '-',
      pending.items.map((m) => `${m.status} ${m._id}`).join(', ') || '-',
      (c.title ?? '').slice(0, 60),
    ]);
  }
  for (const line of table(['CASE', 'ID', 'STATUS', 'MAILBOX', 'PENDING', 'TITLE'], rows))
    cli.out(line);
  if (page.has_next) cli.out(`(more cases: raise --limit, now ${options.limit})`);
}

/** The message an id names: itself, or the one message with `status` in the case it names. */
async function messageFor(
  store: Store,
  account: string,
  id: string,
  status: MessageStatus,
): Promise<MessageRecord> {
  const message = await store.messages.get(account, id);
  if (message) return message;
  const conversation = await store.conversations.get(account, id);
  if (!conversation) throw new UsageError(`no message or case ${id} in account ${account}`);
  const found = await store.messages.listForConversation(account, id, {
    status: [status],
    limit: 3,
  });
  if (found.items.length === 0)
    throw new UsageError(`case #${conversation.case_number} (${id}) has no ${status} reply`);
  if (found.items.length > 1)
    throw new UsageError(
      `case #${conversation.case_number} has several ${status} replies: name one (${found.items.map((m) => m._id).join(', ')})`,
    );
  return found.items[0] as MessageRecord;
}

export type CaseAction = 'approve' | 'reject' | 'retry';

export async function actOnCase(
  cli: CliContext,
  action: CaseAction,
  account: string,
  id: string,
  options: { actor: string; body?: string; reason?: string },
): Promise<MessageRecord> {
  const store = await cli.store();
  const deps: ApprovalDeps = {
    store,
    queues: cli.queues(),
    publisher: cli.publisher(),
    logger: cli.logger,
  };
  const actor = { account_id: account, actor_id: options.actor };
  const target = await messageFor(store, account, id, action === 'retry' ? 'failed' : 'draft');
  const result =
    action === 'approve'
      ? await approveMessage(deps, actor, target._id, options.body ? { body: options.body } : {})
      : action === 'reject'
        ? await rejectDraft(deps, actor, target._id, options.reason ?? null)
        : await retryFailed(deps, actor, target._id);
  if (action !== 'retry') {
    await recordAudit(store, cli.logger, {
      account_id: account,
      conversation_id: result.conversation_id,
      kind: action === 'approve' ? 'message_approved' : 'message_rejected',
      actor_id: options.actor,
      message_id: result._id,
      changes: [change('status', null, result.status)],
    });
  }
  return result;
}
