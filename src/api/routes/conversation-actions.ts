// POST /v1/messaging/conversations/{id}/actions/set-status and
// .../actions/set-legal-hold. Each answers 200 with the updated conversation.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { change, recordAudit } from '../../audit/recorder.ts';
import { LEGAL_HOLDS, WORKFLOW_STATUSES, type Store } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { notFound } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import { moveCaseStatus } from './case-status-move.ts';
import { conversationOr404, includesOf, renderConversation } from './conversation-view.ts';
import { describeRoute } from '../openapi/registry.ts';

const setStatusBody = z.strictObject({ workflow_status: z.enum(WORKFLOW_STATUSES) });
const setLegalHoldBody = z.strictObject({ legal_hold: z.enum(LEGAL_HOLDS) });

type IdRoute = { Params: { id: string } };

describeRoute({
  method: 'POST',
  path: '/v1/messaging/conversations/:id/actions/set-status',
  permission: 'messaging:write',
  summary: 'Move the conversation to a workflow status',
  body: setStatusBody,
  query: ['include'],
  responses: { 200: 'The updated conversation' },
});
describeRoute({
  method: 'POST',
  path: '/v1/messaging/conversations/:id/actions/set-legal-hold',
  permission: 'messaging:write',
  summary: 'Set or lift the legal hold',
  body: setLegalHoldBody,
  query: ['include'],
  responses: { 200: 'The updated conversation' },
});

export function conversationActionRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    v1.post<IdRoute>(
      '/messaging/conversations/:id/actions/set-status',
      { preHandler: requirePermission('messaging:write') },
      async (request) => {
        const { account_id, actor_id } = principalOf(request);
        rejectUnknownParams(queryOf(request), ['include']);
        const include = includesOf(request);
        const { workflow_status: to } = validate('body', setStatusBody, request.body);
        const updated = await moveCaseStatus({
          store,
          log: request.log,
          account_id,
          actor_id,
          conversation_id: request.params.id,
          target: () => to,
        });
        return renderConversation(store, account_id, updated, include, actor_id);
      },
    );

    v1.post<IdRoute>(
      '/messaging/conversations/:id/actions/set-legal-hold',
      { preHandler: requirePermission('admin') },
      async (request) => {
        const { account_id, actor_id } = principalOf(request);
        rejectUnknownParams(queryOf(request), ['include']);
        const include = includesOf(request);
        const { legal_hold } = validate('body', setLegalHoldBody, request.body);
        const before = await conversationOr404(store, account_id, request.params.id);
        const updated = await store.conversations.setLegalHold(account_id, before._id, legal_hold);
        if (!updated) throw notFound('conversation', request.params.id);
        if (before.legal_hold !== updated.legal_hold) {
          await recordAudit(store, request.log, {
            account_id,
            conversation_id: updated._id,
            kind: 'legal_hold_changed',
            actor_id,
            changes: [change('legal_hold', before.legal_hold, updated.legal_hold)],
          });
        }
        return renderConversation(store, account_id, updated, include, actor_id);
      },
    );
  };
}
