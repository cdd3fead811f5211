// The shape every human decision on one message shares (reject, cancel,
// retry): read the message and check its version and the rule, apply one
// conditional update, and when that update finds nothing (someone else got
// there first) answer what the message became instead.
import type { MessageRecord } from '../store/index.ts';
import type { Actor, ApprovalDeps } from './deps.ts';
import {
  checkVersion,
  conflict,
  messageNotFound,
  versionError,
  type ApprovalError,
} from './errors.ts';

export type Blocker = (message: MessageRecord) => ApprovalError | null;

export async function conditionalAction(
  deps: ApprovalDeps,
  actor: Actor,
  messageId: string,
  blocker: Blocker,
  /** The version the human decided on (If-Match): only that one is changed. */
  expectedUpdatedAt: Date | undefined,
  write: (message: MessageRecord) => Promise<MessageRecord | null>,
): Promise<{ before: MessageRecord; after: MessageRecord }> {
  const before = await deps.store.messages.get(actor.account_id, messageId);
  if (!before) throw messageNotFound(messageId);
  checkVersion(before, expectedUpdatedAt);
  const blocked = blocker(before);
  if (blocked) throw blocked;
  const after = await write(before);
  if (!after) throw await lostRace(deps, actor, before, blocker, expectedUpdatedAt);
  return { before, after };
}

async function lostRace(
  deps: ApprovalDeps,
  actor: Actor,
  before: MessageRecord,
  blocker: Blocker,
  expectedUpdatedAt: Date | undefined,
): Promise<ApprovalError> {
  const now = await deps.store.messages.get(actor.account_id, before._id);
  if (!now) return messageNotFound(before._id);
  return (
    blocker(now) ??
    // The version the human decided on is gone, though the action would still apply.
    versionError(now, expectedUpdatedAt) ??
    conflict(
      'concurrent_update',
      `message "${before._id}" was changed by someone else meanwhile: reload it and try again`,
    )
  );
}
