// GET /v1/metrics/approvals through the real api role: drafts are approved
// and rejected through the API (so what approval records is what the metrics
// read), then their times are pinned into a window so every expected number
// below is worked out by hand from the fixture table, not by the code under test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { agentIdFor, type MessageRecord } from '../../../src/store/index.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import {
  GLOBEX_KEY,
  READER_KEY,
  act,
  createCase,
  customerEmail,
  errorOf,
  forceMessage,
  forceRun,
  message,
  okJson,
  startApprovalRuntime,
  stopRuntime,
} from '../approval/helpers.ts';

const DRAFTER = agentIdFor('acme', 'drafter');
const HELPER = agentIdFor('acme', 'helper');
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const FROM = '2026-03-01T00:00:00Z';
const TO = '2026-03-02T00:00:00Z';
const MIN = 60_000;
const at = (ms: number) => new Date(T0 + ms);

let runtime: TestRuntime;

before(async () => {
  runtime = await startApprovalRuntime('api');
});

after(async () => {
  await stopRuntime(runtime);
});

/** A complete agent draft of `agent` in `mailbox`, answering a fresh customer email. */
async function draftOf(agent: string, mailbox: string, body: string): Promise<MessageRecord> {
  const { store } = runtime.context;
  const conversation = await createCase(store, { mailbox_id: mailbox });
  const trigger = await customerEmail(store, conversation);
  const { run } = await store.agentRuns.create({
    account_id: 'acme',
    conversation_id: conversation._id,
    agent_id: agent,
    trigger_message_id: trigger._id,
    status: 'queued',
  });
  const draft = await store.drafts.create({
    account_id: 'acme',
    conversation_id: conversation._id,
    agent_run_id: run._id,
    sender_id: agent,
    reply_to_id: trigger._id,
    trigger_message_id: trigger._id,
    channel: 'email',
    subject: 'Re: Where is my order?',
    mailbox_id: mailbox,
  });
  const done = await store.drafts.complete(draft._id, body);
  assert.ok(done);
  return done;
}

/** Pin the times the metrics read (offsets from T0, in ms). */
async function pin(
  id: string,
  times: { customer: number; ready: number; approved: number; sent?: number },
): Promise<void> {
  await forceMessage(runtime.context.store, id, {
    'approval.customer_message_at': at(times.customer),
    'approval.draft_ready_at': at(times.ready),
    'approval.approved_at': at(times.approved),
    ...(times.sent === undefined
      ? {}
      : { status: 'sent', sequence: 1_000 + times.sent, 'delivery.sent_at': at(times.sent) }),
  });
}

function metrics(query: string, key?: string): Promise<Response> {
  return runtime.request(`/v1/metrics/approvals?${query}`, {
    ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}),
  });
}

type Stats = Record<string, unknown> & { drafts: number };
type Body = {
  object: string;
  overall: Stats;
  by_agent: Array<Stats & { agent_id: string }>;
  by_mailbox: Array<Stats & { mailbox_id: string }>;
};

const histogram = (counts: number[]) =>
  [
    [0, 0],
    [0, 0.1],
    [0.1, 0.25],
    [0.25, 0.5],
    [0.5, 1],
  ].map(([min, max], i) => ({ min, max, count: counts[i] }));

describe('approval metrics', () => {
  // Fixture, all decided inside [FROM, TO) unless noted:
  //  #  agent   mailbox  outcome    edit ratio  ready→approved  customer→sent
  //  1  drafter support  unedited   0           1 min           10 min
  //  2  drafter support  edited     1/10        2 min           20 min
  //  3  drafter sales    edited     5/10        5 min           (not sent)
  //  4  drafter support  rejected   -           -               -
  //  5  helper  sales    unedited   0           30 s            5 min
  //  6  drafter support  unedited, approved today: outside the window
  //  7  drafter support  rejected by a failed run (nobody): not a human decision
  //  8  a Globex draft in the window: another account's
  before(async () => {
    const { store } = runtime.context;
    const d1 = await draftOf(DRAFTER, 'support', 'Dear Jane, it ships today.');
    // What approval records: the run's completed_at is when the draft was ready.
    await forceRun(store, d1.agent_run_id ?? '', { 'timings.completed_at': at(-MIN) });
    await okJson(await act(runtime, d1._id, 'approve'));
    const approved1 = await message(store, d1._id);
    assert.equal(approved1.approval?.edit_ratio, 0);
    assert.equal(approved1.approval?.edited, false);
    assert.equal(approved1.approval?.draft_ready_at?.getTime(), at(-MIN).getTime());
    const trigger1 = await message(store, d1.trigger_message_id ?? '');
    assert.equal(approved1.approval?.customer_message_at?.getTime(), trigger1.created_at.getTime());
    await pin(d1._id, { customer: 0, ready: 9 * MIN, approved: 10 * MIN, sent: 10 * MIN });

    const d2 = await draftOf(DRAFTER, 'support', 'aaaaaaaaaa');
    await okJson(await act(runtime, d2._id, 'approve', { body: 'aaaaaaaaab' }));
    const approved2 = await message(store, d2._id);
    assert.equal(approved2.approval?.edit_ratio, 0.1, '1 edit over 10 characters');
    assert.equal(approved2.approval?.edited, true);
    await pin(d2._id, { customer: 0, ready: 10 * MIN, approved: 12 * MIN, sent: 20 * MIN });

    const d3 = await draftOf(DRAFTER, 'sales', 'aaaaaaaaaa');
    await okJson(await act(runtime, d3._id, 'approve', { body: 'aaaaabbbbb' }));
    await pin(d3._id, { customer: 0, ready: 10 * MIN, approved: 15 * MIN });

    const d4 = await draftOf(DRAFTER, 'support', 'No.');
    await okJson(await act(runtime, d4._id, 'reject', { reason: 'wrong tone' }));
    await forceMessage(store, d4._id, { 'rejection.rejected_at': at(30 * MIN) });

    const d5 = await draftOf(HELPER, 'sales', 'Hello!');
    await okJson(await act(runtime, d5._id, 'approve'));
    await pin(d5._id, { customer: 0, ready: 4 * MIN + 30_000, approved: 5 * MIN, sent: 5 * MIN });

    const d6 = await draftOf(DRAFTER, 'support', 'Later.');
    await okJson(await act(runtime, d6._id, 'approve'));

    const d7 = await draftOf(DRAFTER, 'support', 'Half');
    await store.drafts.end(d7._id, 'rejected', 'the model failed', at(40 * MIN));

    const globex = await store.conversations.create({
      account_id: 'globex',
      type: 'group',
      audience: 'customer',
      workflow_status: 'new',
      title: 'Globex case',
      mailbox_id: 'support',
      participants: [],
    });
    const g = await store.messages.insert({
      account_id: 'globex',
      conversation_id: globex._id,
      kind: 'agent',
      status: 'scheduled',
      visibility: 'external',
      channel: 'email',
      body: 'Globex reply',
      sender_id: DRAFTER,
      mailbox_id: 'support',
      scheduled_at: at(MIN),
    });
    await forceMessage(store, g._id, {
      approval: {
        approved_by: null,
        approved_at: at(MIN),
        edit_distance: 0,
        original_body: 'Globex reply',
        original_subject: null,
        edit_ratio: 0,
        edited: false,
      },
    });
  });

  test('per agent and per mailbox, worked out by hand', async () => {
    const body = (await okJson(await metrics(`from=${FROM}&to=${TO}`))) as unknown as Body;
    assert.equal(body.object, 'approval_metrics');
    assert.deepEqual(body.overall, {
      drafts: 5,
      approved_unedited: { count: 2, share: 0.4 },
      approved_edited: { count: 2, share: 0.4 },
      rejected: { count: 1, share: 0.2 },
      // Ratios [0, 0, 0.1, 0.5]: p50 is rank 2, p90 rank 4.
      edit_distance: { count: 4, p50: 0, p90: 0.5, histogram: histogram([2, 1, 0, 1, 0]) },
      // [0.5, 1, 2, 5] min.
      draft_ready_to_approval_ms: { count: 4, p50: MIN, p90: 5 * MIN },
      // [5, 10, 20] min: p50 rank 2, p90 rank 3.
      customer_message_to_reply_sent_ms: { count: 3, p50: 10 * MIN, p90: 20 * MIN },
    });

    assert.deepEqual(
      body.by_agent.map((a) => a.agent_id),
      [DRAFTER, HELPER],
    );
    assert.deepEqual(body.by_agent[0], {
      agent_id: DRAFTER,
      drafts: 4,
      approved_unedited: { count: 1, share: 0.25 },
      approved_edited: { count: 2, share: 0.5 },
      rejected: { count: 1, share: 0.25 },
      edit_distance: { count: 3, p50: 0.1, p90: 0.5, histogram: histogram([1, 1, 0, 1, 0]) },
      draft_ready_to_approval_ms: { count: 3, p50: 2 * MIN, p90: 5 * MIN },
      customer_message_to_reply_sent_ms: { count: 2, p50: 10 * MIN, p90: 20 * MIN },
    });
    assert.deepEqual(body.by_agent[1], {
      agent_id: HELPER,
      drafts: 1,
      approved_unedited: { count: 1, share: 1 },
      approved_edited: { count: 0, share: 0 },
      rejected: { count: 0, share: 0 },
      edit_distance: { count: 1, p50: 0, p90: 0, histogram: histogram([1, 0, 0, 0, 0]) },
      draft_ready_to_approval_ms: { count: 1, p50: 30_000, p90: 30_000 },
      customer_message_to_reply_sent_ms: { count: 1, p50: 5 * MIN, p90: 5 * MIN },
    });

    assert.deepEqual(
      body.by_mailbox.map((m) => m.mailbox_id),
      ['sales', 'support'],
    );
    assert.deepEqual(body.by_mailbox[0], {
      mailbox_id: 'sales',
      drafts: 2,
      approved_unedited: { count: 1, share: 0.5 },
      approved_edited: { count: 1, share: 0.5 },
      rejected: { count: 0, share: 0 },
      edit_distance: { count: 2, p50: 0, p90: 0.5, histogram: histogram([1, 0, 0, 1, 0]) },
      draft_ready_to_approval_ms: { count: 2, p50: 30_000, p90: 5 * MIN },
      customer_message_to_reply_sent_ms: { count: 1, p50: 5 * MIN, p90: 5 * MIN },
    });
    const support = body.by_mailbox[1];
    assert.equal(support?.drafts, 3);
    assert.deepEqual(support?.rejected, { count: 1, share: 1 / 3 });
    assert.deepEqual(support?.edit_distance, {
      count: 2,
      p50: 0,
      p90: 0.1,
      histogram: histogram([1, 1, 0, 0, 0]),
    });
    assert.deepEqual(support?.customer_message_to_reply_sent_ms, {
      count: 2,
      p50: 10 * MIN,
      p90: 20 * MIN,
    });
  });

  test('filters by agent and mailbox; a read key is enough', async () => {
    const helper = (await okJson(
      await metrics(`from=${FROM}&to=${TO}&agent_id=${HELPER}`, READER_KEY),
    )) as unknown as Body;
    assert.equal(helper.overall.drafts, 1);
    assert.deepEqual(
      helper.by_agent.map((a) => a.agent_id),
      [HELPER],
    );
    const sales = (await okJson(
      await metrics(`from=${FROM}&to=${TO}&mailbox_id=sales`),
    )) as unknown as Body;
    assert.equal(sales.overall.drafts, 2);
    assert.deepEqual(
      sales.by_mailbox.map((m) => m.mailbox_id),
      ['sales'],
    );
  });

  test("another account's key sees only its own drafts", async () => {
    const globex = (await okJson(
      await metrics(`from=${FROM}&to=${TO}`, GLOBEX_KEY),
    )) as unknown as Body;
    assert.equal(globex.overall.drafts, 1);
    assert.deepEqual(globex.overall.approved_unedited, { count: 1, share: 1 });
    const none = (await okJson(
      await metrics(`from=${FROM}&to=${TO}&agent_id=${HELPER}`, GLOBEX_KEY),
    )) as unknown as Body;
    assert.equal(none.overall.drafts, 0);
    assert.deepEqual(none.by_agent, []);
  });

  test('a window with no decisions: zero counts, null percentiles', async () => {
    const body = (await okJson(
      await metrics('from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z'),
    )) as unknown as Body;
    assert.equal(body.overall.drafts, 0);
    assert.deepEqual(body.overall.draft_ready_to_approval_ms, { count: 0, p50: null, p90: null });
    assert.deepEqual(body.by_agent, []);
  });

  test('bad parameters: 400 naming the parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['from=yesterday', /^query\.from:/],
      ['to=2026-03-01', /^query\.to:/],
      [`from=${TO}&to=${FROM}`, /^query\.from: must be before query\.to/],
      ['from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', /^query\.from:.*366 days/],
      ['agent_id=bad%20id!', /^query\.agent_id:/],
      ['mailbox_id=%24ne', /^query\.mailbox_id:/],
      ['agent_id=a&agent_id=b', /^query\.agent_id:/],
      ['limit=5', /^query\.limit: unknown parameter/],
    ];
    for (const [query, pattern] of cases) {
      const error = await errorOf(await metrics(query), 400);
      assert.equal(error.code, 'invalid_parameter', query);
      assert.match(error.message, pattern, query);
    }
  });
});
