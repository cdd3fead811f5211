// GET /v1/metrics/approvals?from&to&agent_id&mailbox_id: how the team treats
// its agents' drafts, per agent and per mailbox (store/repositories/
// approval-metrics.ts computes it). Read-only and content-free (counts and
// durations, no text), so messaging:read is enough: a team lead's read key
// can chart it without being able to approve anything.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Store } from '../../store/index.ts';
import { principalOf, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { queryOf, rejectUnknownParams, singleParam } from '../query.ts';
import { describeRoute } from '../openapi/registry.ts';

const PARAMS = ['from', 'to', 'agent_id', 'mailbox_id'] as const;
const DAY_MS = 86_400_000;
// Without `from`: the last 30 days, the window a support lead usually reviews.
const DEFAULT_WINDOW_MS = 30 * DAY_MS;
// A year and a day bounds the work of one request; longer comparisons take several.
const MAX_WINDOW_MS = 366 * DAY_MS;
// Agent ids (agt_…) and mailbox keys: letters, digits, "_" and "-".
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

const isoTime = z.iso.datetime({ offset: true });

function invalid(message: string): ApiError {
  return new ApiError('invalid_request', 'invalid_parameter', message);
}

function timeParam(query: ReturnType<typeof queryOf>, name: 'from' | 'to'): Date | undefined {
  const value = singleParam(query, name);
  if (value === undefined) return undefined;
  if (!isoTime.safeParse(value).success) {
    throw invalid(
      `query.${name}: must be an ISO 8601 date-time with a time zone, e.g. 2026-01-31T00:00:00Z`,
    );
  }
  return new Date(value);
}

function idParam(
  query: ReturnType<typeof queryOf>,
  name: 'agent_id' | 'mailbox_id',
): string | undefined {
  const value = singleParam(query, name);
  if (value !== undefined && !ID.test(value)) {
    throw invalid(`query.${name}: must be an id of letters, digits, "_" or "-" (at most 128)`);
  }
  return value;
}

describeRoute({
  method: 'GET',
  path: '/v1/metrics/approvals',
  permission: 'messaging:read',
  summary: 'Approval metrics per agent and mailbox',
  query: PARAMS,
  responses: { 200: 'The metrics of the window' },
});

export function approvalMetricsRoutes(store: Store) {
  return (v1: FastifyInstance): void => {
    v1.get(
      '/metrics/approvals',
      { preHandler: requirePermission('messaging:read') },
      async (request) => {
        const { account_id } = principalOf(request);
        const query = queryOf(request);
        rejectUnknownParams(query, PARAMS);
        const to = timeParam(query, 'to') ?? new Date();
        const from = timeParam(query, 'from') ?? new Date(to.getTime() - DEFAULT_WINDOW_MS);
        if (from >= to) throw invalid('query.from: must be before query.to');
        if (to.getTime() - from.getTime() > MAX_WINDOW_MS) {
          throw invalid('query.from: the window from "from" to "to" may span at most 366 days');
        }
        const agentId = idParam(query, 'agent_id');
        const mailboxId = idParam(query, 'mailbox_id');
        const metrics = await store.approvalMetrics.approvals({
          account_id,
          from,
          to,
          agent_id: agentId,
          mailbox_id: mailboxId,
        });
        return {
          object: 'approval_metrics',
          from: from.toISOString(),
          to: to.toISOString(),
          agent_id: agentId ?? null,
          mailbox_id: mailboxId ?? null,
          ...metrics,
        };
      },
    );
  };
}
