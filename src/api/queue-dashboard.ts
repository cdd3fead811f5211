// The queue dashboard: Bull Board at /admin/queues over Postroom's BullMQ
// queues, for an account admin (admin API key, or the web app's session of an
// admin user). The queues are shared by every account, so only the admins of
// the accounts the operator names may open it (POSTROOM_QUEUE_DASHBOARD_ACCOUNTS),
// and it is read-only: retrying or removing another account's jobs from here
// would bypass the case rules that own them.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  authenticateRequest,
  principalOf,
  requirePermission,
  type Authenticate,
  type AuthenticateSession,
} from './auth.ts';
import { ApiError } from './errors.ts';

type BoardServerAdapter = Parameters<typeof createBullBoard>[0]['serverAdapter'];

const QUEUE_DASHBOARD_PATH = '/admin/queues';

export interface QueueDashboardDeps {
  queues: readonly Queue[];
  authenticate: Authenticate;
  authenticateSession?: AuthenticateSession;
  /** Account ids whose admins may open it. */
  accounts: readonly string[];
}

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

// Bull Board sets its own error handler on its routes, which would turn the
// API's 401/403 into 500s: refusals are answered here, in the API's shape.
function answering(hook: Hook): Hook {
  return async (request, reply) => {
    try {
      return await hook(request, reply);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      request.log.info({ code: error.code, status: error.status }, error.message);
      // An async hook that has answered returns the reply, so the route does not run.
      return reply.status(error.status).send(error.toBody());
    }
  };
}

export function queueDashboardRoutes(deps: QueueDashboardDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
    createBullBoard({
      queues: deps.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
      // @bull-board/fastify 9.10.1 carries its own copy of @bull-board/api's
      // types (9.10.1, beside our 9.10.2): the same interface, declared twice.
      serverAdapter: serverAdapter as unknown as BoardServerAdapter,
      options: { uiConfig: { boardTitle: 'Postroom queues' } },
    });
    const admin = requirePermission('admin');
    await app.register(async (board) => {
      board.addHook(
        'onRequest',
        answering(async (request, reply) => {
          await authenticateRequest(deps.authenticate, deps.authenticateSession)(request);
          await admin(request, reply);
          if (!deps.accounts.includes(principalOf(request).account_id))
            throw new ApiError(
              'permission_denied',
              'queue_dashboard_not_allowed',
              "the queue dashboard shows every account's jobs: this account is not in POSTROOM_QUEUE_DASHBOARD_ACCOUNTS",
            );
        }),
      );
      await board.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
    });
  };
}
