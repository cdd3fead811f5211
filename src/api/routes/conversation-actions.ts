// POST /v1/messaging/conversations/{id}/actions/set-status and
// .../actions/set-legal-hold. Each answers 200 with the updated conversation.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { change, recordAudit } from '../../audit/recorder.ts';
import { nextWorkflow } from '../../conversations/workflow.ts';
import { LEGAL_HOLDS, WORKFLOW_STATUSES, type Store } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import { conversationOr404, includesOf, renderConversation } from './conversation-view.ts';
import { describeRoute } from '../openapi/registry.ts';

const setStatusBody = z.strictObject({ workflow_status: z.enum(WORKFLOW_STATUSES) });
const setLegalHoldBody = z.strictObject({ legal_hold: z.enum(LEGAL_HOLDS) });

// The move is conditional on the status it was computed from; another writer
// (ingest, delivery) moving the case meanwhile makes us recompute. Each round
// has a winner, so a handful of rounds only runs out under a pathological storm.
const MAX_MOVE_ATTEMPTS = 5;

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
        for (let attempt = 1; attempt <= MAX_MOVE_ATTEMPTS; attempt++) {
          const conversation = await conversationOr404(store, account_id, request.params.id);
          if (conversation.audience !== 'customer') {
            throw new ApiError(
              'unprocessable',
              'not_a_case',
              `conversation "${conversation._id}" is ${conversation.audience}: only customer cases have a workflow_status`,
            );
          }
          const expected = conversation.workflow_status;
          // A customer case always has a status; a legacy null one counts as untriaged.
          const move = nextWorkflow(expected ?? 'new', { type: 'status_set', to }, new Date());
          const updated = await store.conversations.moveWorkflow(
            account_id,
            conversation._id,
            expected,
            move,
          );
          if (updated) {
            if (updated.workflow_status !== expected) {
              await recordAudit(store, request.log, {
                account_id,
                conversation_id: updated._id,
                kind: 'workflow_status_changed',
                actor_id,
                changes: [change('workflow_status', expected, updated.workflow_status)],
              });
            }
            return renderConversation(store, account_id, updated, include, actor_id);
          }
        }
        throw new ApiError(
          'conflict',
          'concurrent_update',
          'the case kept changing while its status was being set: retry',
        );
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
