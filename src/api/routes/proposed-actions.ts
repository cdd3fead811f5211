// POST /v1/messaging/messages/{id}/proposed-actions/{action_id}/approve | reject:
// the approver's decision on one action a draft proposes (a call of a tool
// not marked read_only, src/approval/proposed-actions.ts). Approving runs the
// tool now and answers with the action and what the tool said; approving the
// draft itself never runs its actions.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Actor } from '../../approval/deps.ts';
import { ApprovalError } from '../../approval/errors.ts';
import { decideProposedAction, type ProposedActionDeps } from '../../approval/proposed-actions.ts';
import { change, recordAudit } from '../../audit/recorder.ts';
import type { Bootstrap } from '../../config/bootstrap-schema.ts';
import type { FetchLike } from '../../platform/guarded-fetch.ts';
import type { Logger } from '../../platform/logger.ts';
import { redisPublisher } from '../../realtime/events.ts';
import type { Store } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { describeRoute } from '../openapi/registry.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import type { ProposedActionJson } from '../serialize/agent-run.ts';
import { serializeAgentRun } from '../serialize/index.ts';
import { validate } from '../validate.ts';

export interface ProposedActionRouteDeps {
  store: Store;
  redis: Redis;
  prefix: string;
  logger: Logger;
  bootstrap: Bootstrap;
  fetch: FetchLike;
}

const emptyBody = z.strictObject({});

for (const decision of ['approve', 'reject'] as const) {
  describeRoute({
    method: 'POST',
    path: `/v1/messaging/messages/:id/proposed-actions/:action_id/${decision}`,
    permission: 'messaging:approve',
    summary:
      decision === 'approve'
        ? 'Approve an action the draft proposes: the tool runs now, its answer is recorded'
        : 'Reject an action the draft proposes: it never runs',
    body: emptyBody,
    responses: { 200: 'The proposed action, decided' },
  });
}

type ActionRoute = { Params: { id: string; action_id: string } };

export function proposedActionRoutes(deps: ProposedActionRouteDeps) {
  const actions: ProposedActionDeps = {
    store: deps.store,
    publisher: redisPublisher(deps.redis, deps.prefix),
    logger: deps.logger.child({ component: 'proposed-actions' }),
    bootstrap: deps.bootstrap,
    fetch: deps.fetch,
  };
  return (v1: FastifyInstance): void => {
    for (const decision of ['approve', 'reject'] as const) {
      v1.post<ActionRoute>(
        `/messaging/messages/:id/proposed-actions/:action_id/${decision}`,
        { preHandler: requirePermission('messaging:approve') },
        async (request): Promise<ProposedActionJson> => {
          const actor = actorOf(request);
          validate('body', emptyBody, request.body ?? {});
          let result;
          try {
            result = await decideProposedAction(
              actions,
              actor,
              request.params.id,
              request.params.action_id,
              decision,
            );
          } catch (error) {
            if (error instanceof ApprovalError) {
              throw new ApiError(error.kind, error.code, error.message);
            }
            throw error;
          }
          const { message, action } = result;
          await recordAudit(deps.store, request.log, {
            account_id: actor.account_id,
            conversation_id: message.conversation_id,
            kind: decision === 'approve' ? 'proposed_action_approved' : 'proposed_action_rejected',
            actor_id: actor.actor_id,
            message_id: message._id,
            changes: [
              change('action', null, action.id),
              change('status', 'pending', action.status),
            ],
          });
          const run = await deps.store.agentRuns.get(actor.account_id, message.agent_run_id ?? '');
          const json = run
            ? serializeAgentRun(run).proposed_actions.find((a) => a.id === action.id)
            : undefined;
          if (!json) throw new Error(`action ${action.id} vanished`);
          return json;
        },
      );
    }
  };
}

function actorOf(request: FastifyRequest): Actor {
  rejectUnknownParams(queryOf(request), []);
  const { account_id, actor_id } = principalOf(request);
  return { account_id, actor_id };
}
