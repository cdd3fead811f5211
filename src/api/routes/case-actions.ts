// Seed C's case actions: POST .../actions/set-awaiting (a teammate marks the
// case as awaiting something, and clears it) and .../actions/transfer (move
// the case to another queue, i.e. another mailbox of the same account). A
// transfer keeps the thread (replies find their case by the account-wide
// reply token) and the next reply goes out from the new mailbox, which the
// delivery reads from the case at send time. Both answer 200 with the case.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { change, recordAudit } from '../../audit/recorder.ts';
import type { Store } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { describeRoute } from '../openapi/registry.ts';
import { validate } from '../validate.ts';
import { assertCase } from './case-status-move.ts';
import { conversationOr404, includesOf, renderConversation } from './conversation-view.ts';

const setAwaitingBody = z.strictObject({ awaiting: z.boolean() });
const transferBody = z.strictObject({
  mailbox_id: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
});

type IdRoute = { Params: { id: string } };

describeRoute({
  method: 'POST',
  path: '/v1/messaging/conversations/:id/actions/set-awaiting',
  permission: 'messaging:write',
  summary: "Set or clear the case's awaiting flag",
  body: setAwaitingBody,
  query: ['include'],
  responses: { 200: 'The conversation' },
});
describeRoute({
  method: 'POST',
  path: '/v1/messaging/conversations/:id/actions/transfer',
  permission: 'messaging:write',
  summary: 'Move the case to another mailbox (queue) of the account',
  body: transferBody,
  query: ['include'],
  responses: { 200: 'The conversation' },
});

export function caseActionRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    const write = { preHandler: requirePermission('messaging:write') };

    v1.post<IdRoute>(
      '/messaging/conversations/:id/actions/set-awaiting',
      write,
      async (request) => {
        const { account_id, actor_id } = principalOf(request);
        rejectUnknownParams(queryOf(request), ['include']);
        const include = includesOf(request);
        const { awaiting } = validate('body', setAwaitingBody, request.body);
        const before = await conversationOr404(store, account_id, request.params.id);
        assertCase(before);
        const updated = await store.conversations.update(account_id, before._id, { awaiting });
        if (!updated) throw notFound('conversation', request.params.id);
        const was = before.awaiting ?? false;
        if (was !== awaiting) {
          await recordAudit(store, request.log, {
            account_id,
            conversation_id: updated._id,
            kind: 'awaiting_changed',
            actor_id,
            changes: [change('awaiting', was, awaiting)],
          });
        }
        return renderConversation(store, account_id, updated, include, actor_id);
      },
    );

    v1.post<IdRoute>('/messaging/conversations/:id/actions/transfer', write, async (request) => {
      const { account_id, actor_id } = principalOf(request);
      rejectUnknownParams(queryOf(request), ['include']);
      const include = includesOf(request);
      const { mailbox_id } = validate('body', transferBody, request.body);
      const before = await conversationOr404(store, account_id, request.params.id);
      assertCase(before);
      // Scoped by account: another account's mailbox is as unknown as a made-up one.
      const mailbox = await store.mailboxes.getByKey(account_id, mailbox_id);
      if (!mailbox) {
        throw new ApiError(
          'unprocessable',
          'invalid_mailbox',
          `body.mailbox_id: no mailbox "${mailbox_id}" in this account`,
        );
      }
      if (before.mailbox_id === mailbox.key) {
        return renderConversation(store, account_id, before, include, actor_id);
      }
      const updated = await store.conversations.transfer(account_id, before._id, mailbox.key);
      if (!updated) throw notFound('conversation', request.params.id);
      await recordAudit(store, request.log, {
        account_id,
        conversation_id: updated._id,
        kind: 'transferred',
        actor_id,
        changes: [change('mailbox_id', before.mailbox_id, updated.mailbox_id)],
      });
      return renderConversation(store, account_id, updated, include, actor_id);
    });
  };
}
