// GET /v1/messaging/conversations/{id}/audit: one entry per change to a case
// (who, when, what, the fields' before/after), oldest first, with cursor
// pagination; another account's key sees a 404.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACME, GLOBEX, createCase, openApi, type ApiHarness } from './helpers.ts';

let api: ApiHarness;

interface Entry {
  id: string;
  object: string;
  kind: string;
  conversation_id: string;
  actor: { id: string; object: string; type: string; handle: string | null } | null;
  changes: Array<{ field: string; before: unknown; after: unknown }>;
  created_at: string;
}

interface AuditPage {
  object: string;
  data: Entry[];
  page_info: {
    next_page_url: string | null;
    previous_page_url: string | null;
    has_next_page: boolean;
    has_prev_page: boolean;
  };
}

const auditPath = (id: string, query = '') => `/v1/messaging/conversations/${id}/audit${query}`;

async function post(key: 'writer' | 'admin' | 'deleter', url: string, payload: object) {
  const res = await api.call(key, { method: 'POST', url, payload });
  assert.equal(res.statusCode, 200, res.body);
}

/** A case with five changes: status, priority + title, legal hold on and off, redaction. */
async function changedCase(): Promise<string> {
  const conversation = await createCase(api.store, { title: 'Broken kettle' });
  const id = conversation._id;
  await post('writer', `/v1/messaging/conversations/${id}/actions/set-status`, {
    workflow_status: 'open',
  });
  const patched = await api.call('writer', {
    method: 'PATCH',
    url: `/v1/messaging/conversations/${id}`,
    payload: { priority: 'high', title: 'Kettle of Mr Smith' },
  });
  assert.equal(patched.statusCode, 200, patched.body);
  await post('admin', `/v1/messaging/conversations/${id}/actions/set-legal-hold`, {
    legal_hold: 'held',
  });
  await post('admin', `/v1/messaging/conversations/${id}/actions/set-legal-hold`, {
    legal_hold: 'released',
  });
  await post('deleter', `/v1/messaging/conversations/${id}/actions/redact`, {});
  return id;
}

describe('audit trail', () => {
  before(async () => {
    api = await openApi('api-audit');
  });
  after(() => api.close());

  test('each change is an entry with its actor and its fields, oldest first', async () => {
    const id = await changedCase();
    const res = await api.call('reader', { method: 'GET', url: auditPath(id) });
    assert.equal(res.statusCode, 200, res.body);
    const page = res.json() as AuditPage;
    assert.equal(page.object, 'list');
    assert.deepEqual(
      page.data.map((e) => e.kind),
      [
        'workflow_status_changed',
        'conversation_updated',
        'legal_hold_changed',
        'legal_hold_changed',
        'redacted',
      ],
    );
    const [status, update, held, , redacted] = page.data;
    assert.equal(status?.object, 'audit_entry');
    assert.equal(status?.conversation_id, id);
    assert.deepEqual(status?.changes, [{ field: 'workflow_status', before: 'new', after: 'open' }]);
    // The seed's actor: the writer key acted, shown with its redacted value as handle.
    assert.equal(status?.actor?.object, 'actor');
    assert.equal(status?.actor?.type, 'api_key');
    assert.ok(status?.actor?.handle && !status.actor.handle.includes('pk_acme_writer_00000001'));
    assert.notEqual(held?.actor?.id, status?.actor?.id, 'the admin key is another actor');
    assert.deepEqual(held?.changes, [{ field: 'legal_hold', before: 'released', after: 'held' }]);
    // The title quoted the customer: the redaction erased both values; priority stays.
    assert.deepEqual(update?.changes, [
      { field: 'title', before: null, after: null },
      { field: 'priority', before: 'normal', after: 'high' },
    ]);
    assert.ok(!res.body.includes('Smith') && !res.body.includes('kettle'));
    assert.equal(redacted?.actor?.type, 'api_key');
    assert.ok(
      redacted?.changes.some((c) => c.field === 'messages_redacted'),
      'counts only, no content',
    );
    const times = page.data.map((e) => Date.parse(e.created_at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
  });

  test('cursor pagination: limit, after (next_page_url), before (previous_page_url)', async () => {
    const id = await changedCase();
    const first = (
      await api.call('reader', { method: 'GET', url: auditPath(id, '?limit=2') })
    ).json() as AuditPage;
    assert.equal(first.data.length, 2);
    assert.equal(first.page_info.has_next_page, true);
    assert.equal(first.page_info.has_prev_page, false);
    assert.ok(first.page_info.next_page_url);
    const second = (
      await api.call('reader', { method: 'GET', url: first.page_info.next_page_url })
    ).json() as AuditPage;
    assert.equal(second.data.length, 2);
    assert.equal(second.page_info.has_prev_page, true);
    const third = (
      await api.call('reader', { method: 'GET', url: second.page_info.next_page_url ?? '' })
    ).json() as AuditPage;
    assert.deepEqual(
      third.data.map((e) => e.kind),
      ['redacted'],
    );
    assert.equal(third.page_info.has_next_page, false);
    assert.equal(third.page_info.next_page_url, null);
    const back = (
      await api.call('reader', { method: 'GET', url: third.page_info.previous_page_url ?? '' })
    ).json() as AuditPage;
    assert.deepEqual(
      back.data.map((e) => e.id),
      second.data.map((e) => e.id),
    );
    const all = [...first.data, ...second.data, ...third.data].map((e) => e.id);
    assert.equal(new Set(all).size, 5, 'every entry once');
  });

  test('another account gets 404; no key 401; bad parameters 400', async () => {
    const id = await changedCase();
    const foreign = await api.call('other', { method: 'GET', url: auditPath(id) });
    assert.equal(foreign.statusCode, 404, foreign.body);
    assert.equal(foreign.json().error.code, 'resource_not_found');
    const globexCase = await createCase(api.store, { account_id: GLOBEX });
    const crossed = await api.call('reader', { method: 'GET', url: auditPath(globexCase._id) });
    assert.equal(crossed.statusCode, 404);
    const anonymous = await api.app.inject({ method: 'GET', url: auditPath(id) });
    assert.equal(anonymous.statusCode, 401);
    const badLimit = await api.call('reader', { method: 'GET', url: auditPath(id, '?limit=0') });
    assert.equal(badLimit.statusCode, 400);
    const badCursor = await api.call('reader', { method: 'GET', url: auditPath(id, '?after=zz') });
    assert.equal(badCursor.statusCode, 400);
    const unknown = await api.call('reader', { method: 'GET', url: auditPath(id, '?kind=x') });
    assert.equal(unknown.statusCode, 400);
    assert.ok((await api.store.conversations.get(ACME, id))?.redacted_at);
  });
});
