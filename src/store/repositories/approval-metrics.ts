// The approval metrics (GET /v1/metrics/approvals) as one aggregation over an
// account's agent drafts, so the numbers come from MongoDB (or the embedded
// store) without loading messages into the process. A draft counts once it
// was decided in the window: approved (approval.approved_at) or rejected by a
// human (a run that failed for good rejects its draft with no rejected_by).
//
// Percentiles are nearest-rank: the smallest value with at least p % of the
// values at or below it, always one of the measured values. The rank is
// ceil(p·n/100) in integer arithmetic, so 90 % of 30 values is rank 27, not
// the 28 a floating-point 0.9·30 would round up to.
import type { PipelineStage } from 'mongoose';
import type { Models } from '../models/index.ts';

/**
 * Buckets of the normalized edit distance (approval.edit_ratio): the first
 * holds exactly 0 (sent as written), each other one (min, max].
 */
const EDIT_RATIO_BUCKETS: ReadonlyArray<{ min: number; max: number }> = [
  { min: 0, max: 0 },
  { min: 0, max: 0.1 },
  { min: 0.1, max: 0.25 },
  { min: 0.25, max: 0.5 },
  { min: 0.5, max: 1 },
];

export interface ApprovalMetricsQuery {
  account_id: string;
  /** Decisions at or after `from` and before `to`. */
  from: Date;
  to: Date;
  agent_id?: string | undefined;
  mailbox_id?: string | undefined;
}

interface OutcomeCount {
  count: number;
  /** count / drafts, 0 when there are none. */
  share: number;
}

interface Distribution {
  /** How many values were measured (older approvals lack the inputs). */
  count: number;
  p50: number | null;
  p90: number | null;
}

export interface ApprovalStats {
  /** Drafts decided in the window: approved (edited or not) plus rejected. */
  drafts: number;
  approved_unedited: OutcomeCount;
  approved_edited: OutcomeCount;
  rejected: OutcomeCount;
  /** Normalized edit distance of the approved drafts (0..1). */
  edit_distance: Distribution & {
    histogram: Array<{ min: number; max: number; count: number }>;
  };
  /** Milliseconds from the draft being complete to its approval. */
  draft_ready_to_approval_ms: Distribution;
  /** Milliseconds from the customer's message being stored to the reply being sent. */
  customer_message_to_reply_sent_ms: Distribution;
}

/** One week (Monday 00:00 UTC onwards) of approved drafts' normalized edit distance. */
interface EditDistanceWeek {
  week_start: Date;
  count: number;
  mean: number;
  p50: number | null;
}

export interface ApprovalMetricsResult {
  overall: ApprovalStats;
  /** Whether the approvers edit less over time: weeks oldest first, only weeks with approvals. */
  edit_distance_by_week: EditDistanceWeek[];
  by_agent: Array<ApprovalStats & { agent_id: string | null }>;
  by_mailbox: Array<ApprovalStats & { mailbox_id: string | null }>;
}

type Expr = Record<string, unknown>;

const isDate = (path: string): Expr => ({ $eq: [{ $type: path }, 'date'] });

/** Milliseconds from `start` to `end` when both are dates, else null. */
const between = (start: string, end: string): Expr => ({
  $cond: [{ $and: [isDate(start), isDate(end)] }, { $subtract: [end, start] }, null],
});

const nonNull = (path: string): Expr => ({
  $filter: { input: path, as: 'v', cond: { $ne: ['$$v', null] } },
});

function percentile(array: string, percent: number): Expr {
  const n = { $size: array };
  const rank = { $ceil: { $divide: [{ $multiply: [percent, n] }, 100] } };
  return {
    $cond: [
      { $eq: [n, 0] },
      null,
      { $arrayElemAt: [array, { $max: [0, { $subtract: [rank, 1] }] }] },
    ],
  };
}

const distribution = (array: string): Expr => ({
  count: { $size: array },
  p50: percentile(array, 50),
  p90: percentile(array, 90),
});

const outcome = (name: string): Expr => ({
  count: `$${name}`,
  share: { $cond: [{ $gt: ['$drafts', 0] }, { $divide: [`$${name}`, '$drafts'] }, 0] },
});

const countOf = (name: string): Expr => ({ $sum: { $cond: [{ $eq: ['$outcome', name] }, 1, 0] } });

function inBucket(bucket: { min: number; max: number }): Expr {
  const cond =
    bucket.max === bucket.min
      ? { $eq: ['$$r', bucket.min] }
      : { $and: [{ $gt: ['$$r', bucket.min] }, { $lte: ['$$r', bucket.max] }] };
  return { $size: { $filter: { input: '$ratios', as: 'r', cond } } };
}

/** One group's statistics, keyed by `key` (an expression), output with `keyName`. */
function statsStages(key: unknown, keyName: string | null): PipelineStage.FacetPipelineStage[] {
  // Built as plain expressions: mongoose's stage types do not follow nested operator objects.
  const stages: Expr[] = [
    {
      $group: {
        _id: key,
        drafts: { $sum: 1 },
        approved_unedited: countOf('approved_unedited'),
        approved_edited: countOf('approved_edited'),
        rejected: countOf('rejected'),
        ratios: { $push: '$edit_ratio' },
        ready: { $push: '$ready_ms' },
        reply: { $push: '$reply_ms' },
      },
    },
    {
      $set: {
        ratios: { $sortArray: { input: nonNull('$ratios'), sortBy: 1 } },
        ready: { $sortArray: { input: nonNull('$ready'), sortBy: 1 } },
        reply: { $sortArray: { input: nonNull('$reply'), sortBy: 1 } },
      },
    },
    { $sort: { _id: 1 } },
    {
      $project: {
        _id: 0,
        ...(keyName ? { [keyName]: '$_id' } : {}),
        drafts: 1,
        approved_unedited: outcome('approved_unedited'),
        approved_edited: outcome('approved_edited'),
        rejected: outcome('rejected'),
        edit_distance: {
          ...distribution('$ratios'),
          histogram: EDIT_RATIO_BUCKETS.map((bucket) => ({
            min: { $literal: bucket.min },
            max: { $literal: bucket.max },
            count: inBucket(bucket),
          })),
        },
        draft_ready_to_approval_ms: distribution('$ready'),
        customer_message_to_reply_sent_ms: distribution('$reply'),
      },
    },
  ];
  return stages as unknown as PipelineStage.FacetPipelineStage[];
}

// 1970-01-05 was a Monday: weeks counted from it start on Mondays (UTC).
const FIRST_MONDAY = new Date(Date.UTC(1970, 0, 5));
const WEEK_MS = 7 * 24 * 3_600_000;

function byWeekStages(): PipelineStage.FacetPipelineStage[] {
  const stages: Expr[] = [
    { $match: { edit_ratio: { $type: 'number' }, approved_at: { $type: 'date' } } },
    {
      $group: {
        _id: { $floor: { $divide: [{ $subtract: ['$approved_at', FIRST_MONDAY] }, WEEK_MS] } },
        count: { $sum: 1 },
        mean: { $avg: '$edit_ratio' },
        ratios: { $push: '$edit_ratio' },
      },
    },
    { $set: { ratios: { $sortArray: { input: '$ratios', sortBy: 1 } } } },
    { $sort: { _id: 1 } },
    {
      $project: {
        _id: 0,
        week_start: { $add: [FIRST_MONDAY, { $multiply: ['$_id', WEEK_MS] }] },
        count: 1,
        mean: 1,
        p50: percentile('$ratios', 50),
      },
    },
  ];
  return stages as unknown as PipelineStage.FacetPipelineStage[];
}

function pipeline(query: ApprovalMetricsQuery): PipelineStage[] {
  const window = { $gte: query.from, $lt: query.to };
  const approved = { $eq: [{ $type: '$approval' }, 'object'] };
  // Older approvals carry no `edited`: a changed body (edit_distance > 0) then says it.
  const edited = { $ifNull: ['$approval.edited', { $gt: ['$approval.edit_distance', 0] }] };
  return [
    {
      $match: {
        account_id: query.account_id,
        kind: 'agent',
        ...(query.agent_id === undefined ? {} : { sender_id: query.agent_id }),
        ...(query.mailbox_id === undefined ? {} : { mailbox_id: query.mailbox_id }),
        $or: [
          { 'approval.approved_at': window },
          {
            status: 'rejected',
            'rejection.rejected_by': { $type: 'string' },
            'rejection.rejected_at': window,
          },
        ],
      },
    },
    {
      $project: {
        _id: 0,
        agent_id: { $ifNull: ['$sender_id', null] },
        mailbox_id: { $ifNull: ['$mailbox_id', null] },
        outcome: {
          $cond: [
            approved,
            { $cond: [edited, 'approved_edited', 'approved_unedited'] },
            'rejected',
          ],
        },
        edit_ratio: { $cond: [approved, { $ifNull: ['$approval.edit_ratio', null] }, null] },
        approved_at: { $ifNull: ['$approval.approved_at', null] },
        ready_ms: between('$approval.draft_ready_at', '$approval.approved_at'),
        reply_ms: between('$approval.customer_message_at', '$delivery.sent_at'),
      },
    },
    {
      $facet: {
        overall: statsStages(null, null),
        by_agent: statsStages('$agent_id', 'agent_id'),
        by_mailbox: statsStages('$mailbox_id', 'mailbox_id'),
        edit_distance_by_week: byWeekStages(),
      },
    },
  ];
}

/** The statistics of no drafts at all (a window with no decisions). */
function emptyStats(): ApprovalStats {
  const none = { count: 0, share: 0 };
  const empty = { count: 0, p50: null, p90: null };
  return {
    drafts: 0,
    approved_unedited: none,
    approved_edited: none,
    rejected: none,
    edit_distance: { ...empty, histogram: EDIT_RATIO_BUCKETS.map((b) => ({ ...b, count: 0 })) },
    draft_ready_to_approval_ms: empty,
    customer_message_to_reply_sent_ms: empty,
  };
}

export function createApprovalMetricsRepository({ Message }: Models) {
  return {
    async approvals(query: ApprovalMetricsQuery): Promise<ApprovalMetricsResult> {
      type Facets = { overall: ApprovalStats[] } & Pick<
        ApprovalMetricsResult,
        'by_agent' | 'by_mailbox' | 'edit_distance_by_week'
      >;
      const [result] = await Message.aggregate<Facets>(pipeline(query)).exec();
      return {
        // $group over no documents yields no group: the window had no decisions.
        overall: result?.overall[0] ?? emptyStats(),
        by_agent: result?.by_agent ?? [],
        by_mailbox: result?.by_mailbox ?? [],
        edit_distance_by_week: result?.edit_distance_by_week ?? [],
      };
    },
  };
}
