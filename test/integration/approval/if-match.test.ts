// Two people deciding on the same reply: with If-Match (the ETag they read),
// a decision on a version someone else changed meanwhile is a 412 and changes
// nothing, so the second approver cannot overwrite the first one's edits.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestRuntime } from '../../support/runtime.ts';
import {
  act,
  caseWithDraft,
  errorOf,
  message,
  okJson,
  startApprovalRuntime,
  stopRuntime,
} from './helpers.ts';

let runtime: TestRuntime;
const store = () => runtime.context.store;

async function etagOf(id: string): Promise<string> {
  const response = await runtime.request(`/v1/messaging/messages/${id}`);
  assert.equal(response.status, 200);
  const etag = response.headers.get('etag');
  const json = (await response.json()) as { updated_at: string };
  assert.equal(etag, `"${json.updated_at}"`, 'the ETag is the quoted updated_at');
  return etag;
}

function actIfMatch(
  id: string,
  action: 'approve' | 'reject' | 'cancel',
  ifMatch: string,
  body: unknown = {},
): Promise<Response> {
  return runtime.request(`/v1/messaging/messages/${id}/actions/${action}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'if-match': ifMatch },
  });
}

describe('If-Match on approval actions', () => {
  before(async () => {
    runtime = await startApprovalRuntime();
  });
  after(() => stopRuntime(runtime));

  test('the second approver of the same version gets a 412; the first one’s edits stand', async () => {
    const { draft } = await caseWithDraft(store());
    const seenByBoth = await etagOf(draft._id);

    const first = await actIfMatch(draft._id, 'approve', seenByBoth, { body: 'Edited by Ann.' });
    const approved = await okJson(first);
    assert.equal(approved.status, 'scheduled');
    assert.equal(first.headers.get('etag'), `"${String(approved.updated_at)}"`);

    const second = await actIfMatch(draft._id, 'approve', seenByBoth, { body: 'Edited by Bob.' });
    const error = await errorOf(second, 412);
    assert.equal(error.type, 'precondition_failed');
    assert.equal(error.code, 'message_changed');
    assert.match(error.message, /changed since you read it/);
    const stored = await message(store(), draft._id);
    assert.equal(stored.body, 'Edited by Ann.');

    // Bob reads again and decides on what it says now: a re-approval.
    const again = await actIfMatch(draft._id, 'approve', await etagOf(draft._id), {
      body: 'Edited by Bob, having read Ann’s.',
    });
    assert.equal((await okJson(again)).body, 'Edited by Bob, having read Ann’s.');
  });

  test('reject and cancel check the version too', async () => {
    const { draft } = await caseWithDraft(store());
    const old = await etagOf(draft._id);
    // Someone else approves it meanwhile: a new version.
    await okJson(await act(runtime, draft._id, 'approve', { body: 'Approved meanwhile.' }));
    assert.equal(
      (await errorOf(await actIfMatch(draft._id, 'cancel', old), 412)).code,
      'message_changed',
    );
    assert.equal((await message(store(), draft._id)).status, 'scheduled');
    const canceled = await okJson(await actIfMatch(draft._id, 'cancel', await etagOf(draft._id)));
    assert.equal(canceled.status, 'canceled');

    const other = await caseWithDraft(store());
    const seen = await etagOf(other.draft._id);
    await okJson(await act(runtime, other.draft._id, 'approve'));
    await okJson(await act(runtime, other.draft._id, 'cancel'));
    // Gone past rejecting: the precondition is checked first and says so.
    const late = await errorOf(await actIfMatch(other.draft._id, 'reject', seen), 412);
    assert.equal(late.code, 'message_changed');

    const fresh = await caseWithDraft(store());
    const rejected = await okJson(
      await actIfMatch(fresh.draft._id, 'reject', await etagOf(fresh.draft._id), { reason: 'no' }),
    );
    assert.equal(rejected.status, 'rejected');
  });

  test('If-Match: * or no header decides on whatever version is current', async () => {
    const { draft } = await caseWithDraft(store());
    await okJson(await act(runtime, draft._id, 'approve', { body: 'One.' }));
    await okJson(await actIfMatch(draft._id, 'approve', '*', { body: 'Two.' }));
    await okJson(await act(runtime, draft._id, 'approve', { body: 'Three.' }));
    assert.equal((await message(store(), draft._id)).body, 'Three.');
  });

  test('a malformed If-Match is a 400 naming the header, and changes nothing', async () => {
    const { draft } = await caseWithDraft(store());
    for (const value of ['abc', '"yesterday"', '"2026-11-23T10:00:00Z"', '"a", "b"']) {
      const error = await errorOf(await actIfMatch(draft._id, 'approve', value), 400);
      assert.equal(error.code, 'invalid_if_match', value);
      assert.match(error.message, /If-Match/);
    }
    assert.equal((await message(store(), draft._id)).status, 'draft');
  });
});
