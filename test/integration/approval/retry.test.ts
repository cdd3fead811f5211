// POST /v1/messaging/messages/{id}/actions/retry through the real runtime
// (api and delivery roles) against the SMTP test server: a reply that failed
// for good during an outage goes out once the server is back, with the same
// Message-ID, and its delivery history keeps every attempt.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accountConfig, startTestRuntime, type TestRuntime } from '../../support/runtime.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import { parseMail, smtpMailbox, stopRuntime, waitForStatus } from '../delivery/helpers.ts';
import { waitUntil } from '../../support/wait.ts';
import { caseWithDraft, errorOf, okJson, type Json } from './helpers.ts';

const READER = 'pk_test_retry_reader_0001';
const GLOBEX = 'pk_test_retry_globex_0001';

let smtp: SmtpTestServer;
let runtime: TestRuntime;

before(async () => {
  smtp = await startSmtpTestServer();
  const config = accountConfig([
    // Two attempts 100 ms apart: an outage of a second outlasts the budget.
    smtpMailbox(smtp, { delivery: { max_attempts: 2, backoff_ms: 100, jitter: 0 } }),
  ]) as { accounts: Array<Record<string, unknown> & { api_keys: unknown[] }> };
  config.accounts[0]?.api_keys.push({
    name: 'reader',
    key: READER,
    permissions: ['messaging:read', 'messaging:write'],
  });
  config.accounts.push({
    id: 'globex',
    name: 'Globex',
    api_keys: [{ name: 'g', key: GLOBEX, permissions: ['messaging:read', 'messaging:approve'] }],
  });
  runtime = await startTestRuntime(config, { roles: 'api,delivery' });
});

after(async () => {
  await stopRuntime(runtime);
  await smtp.stop();
});

function post(id: string, action: string, init: { key?: string; etag?: string } = {}) {
  return runtime.request(`/v1/messaging/messages/${id}/actions/${action}`, {
    method: 'POST',
    body: '{}',
    headers: {
      ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
      ...(init.etag ? { 'if-match': init.etag } : {}),
    },
  });
}

interface AuditEntry {
  kind: string;
  message_id: string | null;
  actor: { id: string; type: string } | null;
  changes: Array<{ field: string; before: unknown; after: unknown }>;
}

async function auditOf(conversationId: string): Promise<AuditEntry[]> {
  const page = (await runtime.json(`/v1/messaging/conversations/${conversationId}/audit`)) as {
    data: AuditEntry[];
  };
  return page.data;
}

type History = Array<{ attempt: number | null; outcome: string; by: string | null }>;
type Delivery = { attempts: number; budget_start: number; retries: number; history: History };

describe('retry a failed reply', () => {
  test('failed in an outage, retried after it: sent with the same Message-ID, history kept', async () => {
    smtp.failAlways(421);
    const { conversation, draft } = await caseWithDraft(
      runtime.context.store,
      'Your parcel ships today.',
    );
    await okJson(await post(draft._id, 'approve'));
    const failed = await waitForStatus(runtime, draft._id, 'failed');
    const messageId = failed.email?.message_id;
    assert.ok(messageId, 'the Message-ID was fixed before the first attempt');
    assert.equal(smtp.messages.length, 0);

    // A failed message is not approved again, and only its approver may retry it.
    assert.equal((await errorOf(await post(draft._id, 'approve'), 409)).code, 'invalid_state');
    assert.equal(
      (await errorOf(await post(draft._id, 'retry', { key: READER }), 403)).code,
      'missing_permission',
    );
    // Another account does not see it at all.
    assert.equal(
      (await errorOf(await post(draft._id, 'retry', { key: GLOBEX }), 404)).code,
      'resource_not_found',
    );

    const read = await runtime.request(`/v1/messaging/messages/${draft._id}`);
    const etag = read.headers.get('etag') ?? '';
    const before = (await read.json()) as Json & { delivery: Delivery };
    assert.equal(before.status, 'failed');
    assert.deepEqual(
      before.delivery.history.map((e) => [e.attempt, e.outcome]),
      [
        [1, 'will_retry'],
        [2, 'failed'],
      ],
    );
    // A version that is gone is refused (If-Match), as for approve/reject/cancel.
    const stale = `"${new Date(Date.parse(before.updated_at as string) - 1000).toISOString()}"`;
    assert.equal(
      (await errorOf(await post(draft._id, 'retry', { etag: stale }), 412)).code,
      'message_changed',
    );

    smtp.reset(); // the server has recovered
    const retried = (await okJson(await post(draft._id, 'retry', { etag }))) as Json & {
      delivery: Delivery;
    };
    assert.equal(retried.status, 'scheduled');
    assert.equal(retried.delivery.attempts, 2, 'attempts keep counting');
    assert.equal(retried.delivery.budget_start, 2, 'a fresh budget from here');
    assert.equal(retried.delivery.retries, 1);

    const [mail] = await smtp.waitForMessages(1);
    assert.ok(mail);
    const parsed = await parseMail(mail.raw);
    assert.equal(parsed.messageId, `<${messageId}>`, 'the same Message-ID as the failed attempts');
    assert.match(parsed.text ?? '', /Your parcel ships today\./);

    const sent = await waitForStatus(runtime, draft._id, 'sent');
    assert.equal(sent.email?.message_id, messageId);
    const json = (await runtime.json(`/v1/messaging/messages/${draft._id}`)) as Json & {
      delivery: Delivery;
    };
    assert.equal(json.delivery.attempts, 3);
    assert.deepEqual(
      json.delivery.history.map((e) => [e.attempt, e.outcome]),
      [
        [1, 'will_retry'],
        [2, 'failed'],
        [null, 'retried'],
        [3, 'sent'],
      ],
    );
    const retriedBy = json.delivery.history[2]?.by;
    assert.ok(retriedBy, 'the retry names who did it');

    // The audit trail has the retry, by its actor, between the failure and the send.
    // (The case's own workflow moves are entries too: only the reply's are compared.)
    const audit = await waitUntil(async () => {
      const entries = (await auditOf(conversation._id)).filter((e) => e.message_id === draft._id);
      return entries.some((e) => e.kind === 'message_delivered') ? entries : null;
    });
    assert.deepEqual(
      audit.map((e) => e.kind),
      ['message_approved', 'message_delivery_failed', 'message_retried', 'message_delivered'],
    );
    const entry = audit[2];
    assert.equal(entry?.message_id, draft._id);
    assert.equal(entry?.actor?.id, retriedBy);
    assert.deepEqual(entry?.changes, [
      { field: 'status', before: 'failed', after: 'scheduled' },
      { field: 'attempt_budget_start', before: null, after: 2 },
    ]);

    // Sent now: nothing to retry.
    assert.equal((await errorOf(await post(draft._id, 'retry'), 409)).code, 'not_failed');
  });

  test('a failure after a retry gets its own alert; a draft cannot be retried', async () => {
    smtp.failAlways(550);
    const { conversation, draft } = await caseWithDraft(runtime.context.store);
    assert.equal((await errorOf(await post(draft._id, 'retry'), 409)).code, 'not_failed');
    await okJson(await post(draft._id, 'approve'));
    await waitForStatus(runtime, draft._id, 'failed');
    await okJson(await post(draft._id, 'retry'));
    const again = await waitForStatus(runtime, draft._id, 'failed');
    assert.equal(again.delivery?.attempts, 2);
    assert.equal(again.delivery?.budget_start, 1);
    smtp.reset();

    const alerts = async () => {
      const page = (await runtime.json(
        `/v1/messaging/conversations/${conversation._id}/messages?limit=100`,
      )) as { data: Array<Json & { kind: string; body: string }> };
      return page.data.filter((m) => m.kind === 'alert');
    };
    // The alert follows the failed status.
    const found = await waitUntil(async () => {
      const list = await alerts();
      return list.length >= 2 ? list : null;
    });
    assert.equal(found.length, 2, 'one alert per failure');
    assert.match(found[1]?.body ?? '', /1 attempt since the last retry, 2 in all/);

    // Redaction scrubs the server's answers from the history too (they quote addresses).
    const redact = await runtime.request(
      `/v1/messaging/conversations/${conversation._id}/actions/redact`,
      { method: 'POST', body: '{}' },
    );
    assert.equal(redact.status, 200, await redact.clone().text());
    const redacted = (await runtime.json(`/v1/messaging/messages/${draft._id}`)) as Json & {
      delivery: { history: Array<{ outcome: string; error: { response: string | null } | null }> };
    };
    const failures = redacted.delivery.history.filter((e) => e.outcome === 'failed');
    assert.equal(failures.length, 2);
    for (const entry of failures) assert.equal(entry.error?.response, null);
  });
});
