// Seed B's (cases-api.txt) case attributes on the conversation, through the
// HTTP API: case_number as a string, priority_label beside seed D's priority
// enum, is_waiting, is_closed, closed_at, latest_messaging_channel and
// channel_priority, following the case as it moves between lanes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createCase, openApi, type ApiHarness } from './helpers.ts';

let api: ApiHarness;

async function get(id: string) {
  const res = await api.call('reader', { method: 'GET', url: `/v1/messaging/conversations/${id}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

async function setStatus(id: string, workflow_status: string) {
  const res = await api.call('writer', {
    method: 'POST',
    url: `/v1/messaging/conversations/${id}/actions/set-status`,
    payload: { workflow_status },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

describe('seed B case fields', () => {
  before(async () => {
    api = await openApi('api-case-fields');
  });
  after(() => api.close());

  test('every seed B field is there with its seed type', async () => {
    const created = await createCase(api.store);
    const json = await get(created._id);
    assert.equal(json.case_number, String(created.case_number));
    assert.equal(typeof json.case_number, 'string');
    assert.equal(json.priority, 'normal');
    assert.equal(json.priority_label, 'Normal');
    assert.equal(json.is_waiting, false);
    assert.equal(json.is_closed, false);
    assert.equal(json.closed_at, null);
    assert.equal(json.latest_messaging_channel, 'email');
    assert.equal(json.channel_priority, 1);
    assert.equal(json.unread_message_count, 0);
  });

  test('case numbers are decimal strings in numeric order, also past 9', async () => {
    const created = [];
    for (let i = 0; i < 11; i += 1) created.push(await createCase(api.store));
    const numbers = await Promise.all(created.map(async (c) => (await get(c._id)).case_number));
    for (const n of numbers) assert.match(n, /^[1-9]\d*$/);
    const asNumbers = numbers.map(Number);
    assert.deepEqual(
      asNumbers,
      [...asNumbers].sort((a, b) => a - b),
    );
    assert.equal(new Set(numbers).size, numbers.length);
    // "10" sorts before "9" as text: the numbers really pass 9 here.
    assert.ok(asNumbers.some((n) => n >= 10));
  });

  test('priority_label follows seed D priority: low Low, normal Normal, high High, urgent Critical', async () => {
    const created = await createCase(api.store);
    const expected = { low: 'Low', normal: 'Normal', high: 'High', urgent: 'Critical' };
    for (const [priority, label] of Object.entries(expected)) {
      const res = await api.call('writer', {
        method: 'PATCH',
        url: `/v1/messaging/conversations/${created._id}`,
        payload: { priority },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().priority, priority);
      assert.equal(res.json().priority_label, label);
      assert.equal((await get(created._id)).priority_label, label);
    }
  });

  test('seed B integer priorities are refused: priority is seed D enum', async () => {
    const created = await createCase(api.store);
    const res = await api.call('writer', {
      method: 'PATCH',
      url: `/v1/messaging/conversations/${created._id}`,
      payload: { priority: 5 },
    });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.type, 'invalid_request');
    assert.match(res.json().error.message, /priority/);
  });

  test('is_waiting in the waiting lanes; is_closed and closed_at when resolved, cleared on reopen', async () => {
    const created = await createCase(api.store);
    for (const lane of ['waiting_external', 'waiting_internal']) {
      const json = await setStatus(created._id, lane);
      assert.equal(json.is_waiting, true, lane);
      assert.equal(json.is_closed, false, lane);
    }
    const open = await setStatus(created._id, 'open');
    assert.equal(open.is_waiting, false);

    const resolved = await setStatus(created._id, 'resolved');
    assert.equal(resolved.is_closed, true);
    assert.equal(resolved.is_waiting, false);
    assert.ok(resolved.closed_at, 'closed_at is set');
    assert.ok(!Number.isNaN(Date.parse(resolved.closed_at)));
    assert.equal((await get(created._id)).closed_at, resolved.closed_at);

    const reopened = await setStatus(created._id, 'open');
    assert.equal(reopened.is_closed, false);
    assert.equal(reopened.closed_at, null);
  });

  test('a conversation no mailbox bridges has no messaging channel', async () => {
    const internal = await createCase(api.store, {
      audience: 'internal',
      mailbox_id: null,
      workflow_status: null,
    });
    const json = await get(internal._id);
    assert.equal(json.latest_messaging_channel, null);
    assert.equal(json.channel_priority, null);
    assert.equal(json.is_waiting, false);
    assert.equal(json.is_closed, false);
  });

  test('lists carry the same fields', async () => {
    const res = await api.call('reader', {
      method: 'GET',
      url: '/v1/messaging/conversations?limit=5',
    });
    assert.equal(res.statusCode, 200, res.body);
    const rows = res.json().data as Array<Record<string, unknown>>;
    assert.ok(rows.length > 0);
    for (const row of rows) {
      for (const field of [
        'case_number',
        'priority',
        'priority_label',
        'is_waiting',
        'is_closed',
        'closed_at',
        'latest_messaging_channel',
        'channel_priority',
        'unread_message_count',
      ]) {
        assert.ok(field in row, field);
      }
      assert.equal(typeof row.case_number, 'string');
    }
  });
});
