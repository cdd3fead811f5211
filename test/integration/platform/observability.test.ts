// Watching Postroom as an operator does, on the real runtime split in two
// processes sharing MongoDB and a queue prefix: a worker-only one (no api role)
// serving /metrics, /healthz and /readyz on POSTROOM_METRICS_PORT, and an api
// one. Mail goes in over Dovecot, one agent run fails for good (model 401), the
// next drafts, the case waits for approval, a human approves, SMTP delivers;
// the scrapes show each step. A mailbox whose login Dovecot refuses makes
// /readyz degraded naming it; a runtime whose Redis is gone answers 503.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { agentIdFor } from '../../../src/store/index.ts';
import { QUEUE_NAMES } from '../../../src/queues/catalog.ts';
import { stopRuntime } from '../../support/helpers.ts';
import { appendMessage, testImapServer } from '../../support/imap.ts';
import { buildMail, newMessageId } from '../../support/mail-builder.ts';
import { TEST_API_KEY, startTestRuntime, type TestRuntime } from '../../support/runtime.ts';
import {
  startOpenAiTestServer,
  tokensOf,
  type OpenAiTestServer,
} from '../../support/services/openai-server.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import { uniqueName, testMongoUri } from '../../support/env.ts';
import { freePort, waitUntil } from '../../support/wait.ts';

const DRAFTER = agentIdFor('acme', 'drafter');
const imap = testImapServer();
const user = imap.userFor('observe');
const deniedUser = imap.deniedUserFor('observe');
let smtp: SmtpTestServer;
let model: OpenAiTestServer;
let worker: TestRuntime;
let api: TestRuntime;

function config(): unknown {
  return {
    accounts: [
      {
        id: 'acme',
        name: 'Acme',
        api_keys: [
          {
            name: 'test',
            key: TEST_API_KEY,
            permissions: ['messaging:read', 'messaging:write', 'messaging:approve', 'admin'],
          },
        ],
        agents: [
          {
            id: 'drafter',
            name: 'Drafter',
            handle: 'drafter',
            provider: { type: 'openai', base_url: model.baseURL, api_key: 'sk', model: 'gpt-test' },
            trigger_policy: 'always',
          },
        ],
        mailboxes: [
          {
            id: 'support',
            address: 'support@acme.test',
            imap: {
              host: imap.host,
              port: imap.port,
              secure: false,
              auth: { user, pass: imap.password },
              folder: 'INBOX',
            },
            smtp: { host: smtp.host, port: smtp.port, secure: false },
            agents: ['drafter'],
          },
          {
            id: 'locked',
            address: 'locked@acme.test',
            imap: {
              host: imap.host,
              port: imap.port,
              secure: false,
              auth: { user: deniedUser, pass: imap.password },
              folder: 'INBOX',
            },
            smtp: { host: smtp.host, port: smtp.port, secure: false },
            agents: [],
          },
        ],
      },
    ],
  };
}

before(async () => {
  smtp = await startSmtpTestServer();
  model = await startOpenAiTestServer();
  model.setDefault({ kind: 'stream', tokens: tokensOf('Your order ships today.') });
  const prefix = uniqueName('obs');
  const mongoUri = testMongoUri();
  worker = await startTestRuntime(config(), {
    roles: 'watcher,ingest,agent,delivery',
    prefix,
    mongoUri,
  });
  api = await startTestRuntime(config(), { roles: 'api', prefix, mongoUri });
});

after(async () => {
  await worker?.stop();
  await stopRuntime(api);
  await smtp?.stop();
  await model?.stop();
});

/** A sample's value from a Prometheus text scrape; undefined when absent. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(base: string): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
  return response.text();
}

function metricsOf(runtime: TestRuntime): string {
  const base = runtime.context.endpoints.metrics;
  assert.ok(base, 'the worker-only runtime names its metrics endpoint');
  return base;
}

describe('observability of a worker-only process and the api', () => {
  test('the worker-only process serves /healthz, /readyz and /metrics on its metrics port', async () => {
    assert.equal(worker.context.endpoints.api, undefined, 'no api role, no API port');
    const base = metricsOf(worker);
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const text = await scrape(base);
    assert.ok(sample(text, 'postroom_process_cpu_user_seconds_total') !== undefined);
    for (const queue of QUEUE_NAMES)
      for (const state of ['waiting', 'active', 'delayed', 'failed'])
        assert.notEqual(
          sample(text, 'postroom_queue_jobs', { queue, state }),
          undefined,
          `queue depth of ${queue} ${state}`,
        );
    // The api's own scrape reports the same shared gauges.
    const apiText = await scrape(api.api);
    assert.notEqual(
      sample(apiText, 'postroom_queue_jobs', { queue: 'message.deliver', state: 'failed' }),
      undefined,
    );
  });

  test('a mailbox Dovecot refuses makes /readyz degraded, naming it, and counts the auth failure', async () => {
    const base = metricsOf(worker);
    const body = await waitUntil(
      async () => {
        const response = await fetch(`${base}/readyz`);
        assert.equal(response.status, 200, 'a failing mailbox does not take the process out');
        const json = (await response.json()) as {
          status: string;
          checks: Record<string, string>;
          mailboxes: Array<{ mailbox: string; status: string }>;
        };
        return json.status === 'degraded' ? json : null;
      },
      { what: '/readyz to report the locked mailbox', timeoutMs: 30_000 },
    );
    assert.deepEqual(body.checks, { mongodb: 'ok', redis: 'ok' });
    assert.deepEqual(body.mailboxes, [{ mailbox: 'acme/locked', status: 'auth_failed' }]);
    const text = await scrape(base);
    assert.ok(
      (sample(text, 'postroom_imap_auth_failures_total', { mailbox: 'acme/locked' }) ?? 0) >= 1,
    );
    assert.equal(
      sample(text, 'postroom_imap_connection_state', {
        mailbox: 'acme/locked',
        state: 'auth_failed',
      }),
      1,
    );
    assert.equal(
      sample(text, 'postroom_imap_connection_state', { mailbox: 'acme/support', state: 'ok' }),
      1,
    );
    assert.equal(
      sample(text, 'postroom_imap_auth_failures_total', { mailbox: 'acme/support' }),
      undefined,
    );
    // Every process reads the states from MongoDB: the api says the same.
    const apiReady = (await (await fetch(`${api.api}/readyz`)).json()) as { mailboxes: unknown };
    assert.deepEqual(apiReady.mailboxes, [{ mailbox: 'acme/locked', status: 'auth_failed' }]);
  });

  test('ingest lag, a run failed for good, approvals waiting and a delivered reply show in the scrapes', async () => {
    const base = metricsOf(worker);
    model.enqueue({ kind: 'status', status: 401 });
    const failing = newMessageId('obs-fail');
    await appendMessage(imap, user, buildMail({ messageId: failing, subject: 'First' }));
    await waitUntil(
      async () =>
        sample(await scrape(base), 'postroom_agent_runs_total', {
          agent: DRAFTER,
          outcome: 'failed',
        }) === 1,
      { what: 'the failed run to be counted', timeoutMs: 30_000 },
    );

    const first = newMessageId('obs-ok');
    await appendMessage(imap, user, buildMail({ messageId: first, subject: 'Second' }));
    const stored = await waitUntil(
      () => worker.context.store.messages.findByEmailMessageId('acme', 'support', first),
      { what: 'the second mail stored' },
    );
    const draft = await waitUntil(
      async () => {
        const page = (
          await api.json<{ data: Array<{ id: string; streaming_state: string }> }>(
            `/v1/messaging/conversations/${stored.conversation_id}/messages?status=draft`,
          )
        ).data;
        return page.find((m) => m.streaming_state === 'complete');
      },
      { what: 'the draft' },
    );
    const waiting = await waitUntil(
      async () => {
        const text = await scrape(api.api);
        const count = sample(text, 'postroom_approval_waiting_cases', { mailbox: 'acme/support' });
        return count !== undefined && count >= 1 ? text : null;
      },
      { what: 'the approval gauges to show the waiting case' },
    );
    const oldest = sample(waiting, 'postroom_approval_oldest_waiting_seconds', {
      mailbox: 'acme/support',
    });
    assert.ok(oldest !== undefined && oldest >= 0, `oldest waiting age: ${oldest}`);

    const approved = await api.request(`/v1/messaging/messages/${draft.id}/actions/approve`, {
      method: 'POST',
      body: JSON.stringify({}),
    });
    assert.equal(approved.status, 200, await approved.clone().text());
    await smtp.waitForMessages(1);

    const text = await waitUntil(
      async () => {
        const t = await scrape(base);
        return sample(t, 'postroom_delivery_outcomes_total', {
          mailbox: 'acme/support',
          outcome: 'sent',
        }) === 1
          ? t
          : null;
      },
      { what: 'the sent outcome to be counted' },
    );
    // Both mails were stored by this process's ingest.
    assert.equal(sample(text, 'postroom_ingest_lag_seconds_count', { mailbox: 'acme/support' }), 2);
    assert.equal(
      sample(text, 'postroom_delivery_attempts_count', {
        mailbox: 'acme/support',
        outcome: 'sent',
      }),
      1,
    );
    assert.equal(
      sample(text, 'postroom_agent_runs_total', { agent: DRAFTER, outcome: 'completed' }),
      1,
    );
    assert.equal(
      sample(text, 'postroom_agent_runs_total', { agent: DRAFTER, outcome: 'failed' }),
      1,
    );
    const afterApproval = await waitUntil(
      async () => {
        const t = await scrape(api.api);
        return (sample(t, 'postroom_approval_waiting_cases', { mailbox: 'acme/support' }) ?? 0) ===
          0
          ? t
          : null;
      },
      { what: 'no case waiting any more' },
    );
    assert.equal(
      sample(afterApproval, 'postroom_approvals_approved', { mailbox: 'acme/support' }),
      1,
    );
  });
});

describe('readiness without Redis', () => {
  test('/readyz answers 503 naming redis when the runtime cannot reach it', async () => {
    const closed = await freePort();
    const runtime = await startTestRuntime(config(), {
      roles: 'maintenance',
      env: { REDIS_URL: `redis://127.0.0.1:${closed}` },
    });
    try {
      const response = await fetch(`${metricsOf(runtime)}/readyz`);
      assert.equal(response.status, 503);
      const body = (await response.json()) as { status: string; checks: Record<string, string> };
      assert.equal(body.status, 'not_ready');
      assert.deepEqual(body.checks, { mongodb: 'ok', redis: 'unavailable' });
    } finally {
      await stopRuntime(runtime);
    }
  });
});
