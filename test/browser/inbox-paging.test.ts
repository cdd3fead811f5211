// An inbox longer than one page, in a browser: the cases awaiting approval
// come first whatever their age, the rest follow by age, "Load more" brings
// the next page in order, a case moved to needs_approval by someone else
// arrives live in its place, and the mailbox filter offers the account's
// mailboxes rather than those of the loaded cases.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConversationRecord } from '../../src/store/index.ts';
import { TEST_API_KEY } from '../support/runtime.ts';
import { waitUntil } from '../support/wait.ts';
import {
  caseRow,
  checkAccessibility,
  signIn,
  startWebHarness,
  withPage,
  type WebHarness,
} from './helpers.ts';

let harness: WebHarness;
const open: ConversationRecord[] = [];
const awaiting: ConversationRecord[] = [];

before(async () => {
  harness = await startWebHarness();
  const { store } = harness.runtime.context;
  const create = (workflow_status: 'open' | 'needs_approval', title: string) =>
    store.conversations.create({
      account_id: 'acme',
      type: 'group',
      audience: 'customer',
      workflow_status,
      title,
      mailbox_id: 'support',
      participants: [{ type: 'customer', customer: { name: 'Pat', address: 'pat@example.com' } }],
    });
  // The open cases are the older ones: in an inbox sorted by age alone, every
  // case awaiting approval would sit on the second page.
  for (let i = 0; i < 115; i++) open.push(await create('open', `Older open case ${i}`));
  for (let i = 0; i < 15; i++) awaiting.push(await create('needs_approval', `Awaiting ${i}`));
});

after(async () => {
  await harness?.stop();
});

describe('a long inbox in a browser', () => {
  test('approvals first, Load more in order, live moves in place, every mailbox in the filter', async () => {
    await withPage(harness, 'inbox paging', async (page) => {
      await signIn(harness, page);
      const rows = page.locator('.case-row');
      await waitUntil(async () => (await rows.count()) === 100, { what: 'the first page' });
      const statuses = await rows.evaluateAll((els) => els.map((el) => el.dataset.status));
      assert.deepEqual(
        statuses.slice(0, 15),
        Array(15).fill('needs_approval'),
        'every case awaiting approval is on top',
      );
      assert.ok(statuses.slice(15).every((status) => status === 'open'));
      const firstIds = await rows.evaluateAll((els) => els.map((el) => el.dataset.caseId));
      assert.deepEqual(
        firstIds.slice(0, 15),
        awaiting.map((c) => c._id),
      );
      assert.deepEqual(
        firstIds.slice(15),
        open.slice(0, 85).map((c) => c._id),
      );

      const mailboxOptions = await page
        .locator('#filter-mailbox option')
        .evaluateAll((els) => els.map((el) => el.textContent));
      assert.deepEqual(mailboxOptions, ['All mailboxes', 'Acme Support <support@acme.test>']);
      await checkAccessibility(page, 'a long inbox');

      // Someone else moves the youngest open case (not loaded yet) to
      // needs_approval: it arrives live, first of the approvals, since it is
      // older than every one of them.
      const youngest = open[open.length - 1] as ConversationRecord;
      const moved = await harness.runtime.request(
        `/v1/messaging/conversations/${youngest._id}/actions/set-status`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ workflow_status: 'needs_approval' }),
        },
      );
      assert.equal(moved.status, 200, await moved.clone().text());
      await caseRow(page, youngest._id)
        .and(page.locator('[data-status="needs_approval"]'))
        .waitFor();
      const afterMove = await rows.evaluateAll((els) => els.map((el) => el.dataset.caseId));
      assert.equal(afterMove.indexOf(youngest._id), 0, 'in its place among the approvals');
      assert.equal(afterMove.length, 101, 'added, nothing dropped');

      await page.getByRole('button', { name: 'Load more' }).click();
      await waitUntil(async () => (await rows.count()) === 130, { what: 'the second page' });
      const all = await rows.evaluateAll((els) => els.map((el) => el.dataset.caseId));
      assert.equal(new Set(all).size, 130, 'no case twice');
      assert.deepEqual(
        all,
        [youngest, ...awaiting, ...open.slice(0, 114)].map((c) => c._id),
      );
      await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
    });
  });
});
