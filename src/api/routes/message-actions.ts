// POST /v1/messaging/messages/{id}/actions/approve | reject | retry | cancel:
// the human decisions on a reply (src/approval/). Each answers 200 with the
// updated message; a message in the wrong state is a 409 that changes nothing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { approveMessage } from '../../approval/approve.ts';
import { change, recordAudit } from '../../audit/recorder.ts';
import type { Actor, ApprovalDeps } from '../../approval/deps.ts';
import { cancelScheduled, rejectDraft } from '../../approval/dismiss.ts';
import { ApprovalError } from '../../approval/errors.ts';
import { retryFailed } from '../../approval/retry.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Queues } from '../../queues/queues.ts';
import { redisPublisher } from '../../realtime/events.ts';
import { webhookPublisher } from '../../webhooks/emit.ts';
import type { MessageRecord, Store } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { ifMatchOf, setMessageEtag } from '../etag.ts';
import { queryOf, rejectUnknownParams } from '../query.ts';
import { validate } from '../validate.ts';
import { messageIncludesOf, renderMessages } from './messages.ts';
import { describeRoute } from '../openapi/registry.ts';

export interface MessageActionDeps {
  store: Store;
  queues: Queues;
  redis: Redis;
  /** POSTROOM_QUEUE_PREFIX: realtime channels live under it. */
  prefix: string;
  logger: Logger;
}

// As POST .../messages: the same limits for a body or subject a human edits.
const MAX_BODY = 100_000;
const MAX_SUBJECT = 500;
const MAX_REASON = 1_000;

const approveBody = z.strictObject({
  body: z
    .string()
    .max(MAX_BODY, `must be at most ${MAX_BODY} characters`)
    .refine((value) => value.trim().length > 0, 'must not be blank')
    .optional(),
  subject: z
    .string()
    .max(MAX_SUBJECT, `must be at most ${MAX_SUBJECT} characters`)
    // A line break in a header would let the text inject headers of its own.
    .refine((value) => !/[\r\n]/.test(value), 'must not contain line breaks (CR or LF)')
    .refine((value) => value.trim().length > 0, 'must not be blank')
    .optional(),
  scheduled_at: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' })
    .nullable()
    .optional(),
  allow_stale: z.boolean().optional(),
});

const reasonBody = z.strictObject({
  reason: z
    .string()
    .max(MAX_REASON, `must be at most ${MAX_REASON} characters`)
    .nullable()
    .optional(),
});

const emptyBody = z.strictObject({});

type IdRoute = { Params: { id: string } };

describeRoute({
  method: 'POST',
  path: '/v1/messaging/messages/:id/actions/approve',
  permission: 'messaging:approve',
  summary: 'Approve a draft (optionally edited) for sending',
  body: approveBody,
  responses: { 200: 'The approved message' },
});
describeRoute({
  method: 'POST',
  path: '/v1/messaging/messages/:id/actions/reject',
  permission: 'messaging:approve',
  summary: 'Reject a draft',
  body: reasonBody,
  responses: { 200: 'The rejected message' },
});
describeRoute({
  method: 'POST',
  path: '/v1/messaging/messages/:id/actions/retry',
  permission: 'messaging:approve',
  summary: 'Retry a failed send',
  body: emptyBody,
  responses: { 200: 'The message, queued again' },
});
describeRoute({
  method: 'POST',
  path: '/v1/messaging/messages/:id/actions/cancel',
  permission: 'messaging:write',
  summary: 'Cancel a scheduled send',
  body: reasonBody,
  responses: { 200: 'The cancelled message' },
});

export function messageActionRoutes(deps: MessageActionDeps) {
  const approval: ApprovalDeps = {
    store: deps.store,
    queues: deps.queues,
    publisher: webhookPublisher(redisPublisher(deps.redis, deps.prefix), { store: deps.store }),
    logger: deps.logger.child({ component: 'approval' }),
  };
  // The decision goes to the case's audit trail (the reason is content: it stays out).
  const audit = (
    request: FastifyRequest,
    actor: Actor,
    kind: 'message_approved' | 'message_rejected' | 'message_canceled',
    message: MessageRecord,
  ) =>
    recordAudit(deps.store, request.log, {
      account_id: actor.account_id,
      conversation_id: message.conversation_id,
      kind,
      actor_id: actor.actor_id,
      message_id: message._id,
      changes: [
        change('status', null, message.status),
        ...(kind === 'message_approved'
          ? [change('scheduled_at', null, message.scheduled_at?.toISOString() ?? null)]
          : []),
      ],
    });
  const respond = async (reply: FastifyReply, accountId: string, message: MessageRecord) => {
    const include = messageIncludesOf(reply.request);
    const [json] = await renderMessages(deps.store, accountId, [message], include);
    if (json) setMessageEtag(reply, json);
    return json;
  };

  return (v1: FastifyInstance): void => {
    v1.post<IdRoute>(
      '/messaging/messages/:id/actions/approve',
      { preHandler: requirePermission('messaging:approve') },
      async (request, reply) => {
        const actor = actorOf(request);
        const input = validate('body', approveBody, request.body);
        const expected = ifMatchOf(request);
        const message = await mapped(() =>
          approveMessage(approval, actor, request.params.id, {
            body: input.body,
            subject: input.subject?.trim(),
            scheduled_at: input.scheduled_at ? new Date(input.scheduled_at) : null,
            allow_stale: input.allow_stale,
            expected_updated_at: expected,
          }),
        );
        await audit(request, actor, 'message_approved', message);
        return respond(reply, actor.account_id, message);
      },
    );

    v1.post<IdRoute>(
      '/messaging/messages/:id/actions/reject',
      { preHandler: requirePermission('messaging:approve') },
      async (request, reply) => {
        const actor = actorOf(request);
        const { reason } = validate('body', reasonBody, request.body);
        const expected = ifMatchOf(request);
        const message = await mapped(() =>
          rejectDraft(approval, actor, request.params.id, reason?.trim() || null, expected),
        );
        await audit(request, actor, 'message_rejected', message);
        return respond(reply, actor.account_id, message);
      },
    );

    // Sending a reply to the customer again is an approver's decision, as the first send was.
    v1.post<IdRoute>(
      '/messaging/messages/:id/actions/retry',
      { preHandler: requirePermission('messaging:approve') },
      async (request, reply) => {
        const actor = actorOf(request);
        validate('body', emptyBody, request.body);
        const expected = ifMatchOf(request);
        const message = await mapped(() =>
          retryFailed(approval, actor, request.params.id, expected),
        );
        return respond(reply, actor.account_id, message);
      },
    );

    v1.post<IdRoute>(
      '/messaging/messages/:id/actions/cancel',
      { preHandler: requirePermission('messaging:write') },
      async (request, reply) => {
        const actor = actorOf(request);
        const { reason } = validate('body', reasonBody, request.body);
        const expected = ifMatchOf(request);
        const message = await mapped(() =>
          cancelScheduled(approval, actor, request.params.id, reason?.trim() || null, expected),
        );
        await audit(request, actor, 'message_canceled', message);
        return respond(reply, actor.account_id, message);
      },
    );
  };
}

function actorOf(request: FastifyRequest): Actor {
  rejectUnknownParams(queryOf(request), ['include']);
  // A bad include[] is a 400 before the decision is made, not after.
  messageIncludesOf(request);
  const { account_id, actor_id } = principalOf(request);
  return { account_id, actor_id };
}

/** The approval module's errors as API errors (one status per kind). */
async function mapped<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ApprovalError) throw new ApiError(error.kind, error.code, error.message);
    throw error;
  }
}
