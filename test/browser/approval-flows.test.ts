// The approval flows in a real browser: sign in, watch a draft stream in,
// edit and approve it (the customer receives the edited text), reject one,
// schedule one then cancel it, and two approvers racing on one draft.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import type { Page } from 'playwright-core';
import { tokensOf } from '../support/services/openai-server.ts';
import { waitUntil } from '../support/wait.ts';
import {
  SECOND_APPROVER,
  caseRow,
  checkAccessibility,
  customerMail,
  signIn,
  startWebHarness,
  withPage,
  type WebHarness,
} from './helpers.ts';

let harness: WebHarness;

/** What the functions run in the page see (this project's TypeScript has no DOM types). */
interface BrowserGlobals {
  document: { querySelector(selector: string): { textContent: string | null } | null };
}

before(async () => {
  harness = await startWebHarness();
});

after(async () => {
  await harness?.stop();
});

beforeEach(() => {
  harness.model.setDefault({ kind: 'stream', tokens: tokensOf('Dear customer, thank you.') });
});

interface MessageJson {
  id: string;
  status: string;
  body: string | null;
  streaming_state: string | null;
  approval: { approved_by: string | null } | null;
}

async function messagesOf(conversationId: string): Promise<MessageJson[]> {
  const list = await harness.runtime.json<{ data: MessageJson[] }>(
    `/v1/messaging/conversations/${conversationId}/messages?limit=100`,
  );
  return list.data;
}

/** A case whose draft has finished streaming, open in the page. */
async function openCaseWithDraft(page: Page, subject: string): Promise<string> {
  const conversationId = await customerMail(harness, { subject });
  await waitUntil(
    async () =>
      (await messagesOf(conversationId)).some(
        (m) => m.status === 'draft' && m.streaming_state === 'complete',
      ),
    { what: `a complete draft for "${subject}"` },
  );
  await page.goto(`${harness.runtime.api}/#/cases/${conversationId}`);
  await page.getByRole('heading', { name: subject }).waitFor();
  await page.locator('.draft-body').filter({ hasText: 'Dear customer' }).waitFor();
  return conversationId;
}

async function smtpMailFor(subject: string) {
  const found = await waitUntil(
    async () => {
      for (const message of harness.smtp.messages) {
        const parsed = await simpleParser(message.raw);
        if (parsed.subject === `Re: ${subject}`) return parsed;
      }
      return undefined;
    },
    { what: `the reply to "${subject}" at the SMTP server` },
  );
  return found;
}

describe('the approval inbox in a browser', () => {
  test('sign in: a wrong password is refused, the right one opens the inbox', async () => {
    await withPage(harness, 'sign in', async (page) => {
      await page.goto(`${harness.runtime.api}/`);
      await checkAccessibility(page, 'the sign-in page');
      await page.getByLabel('Email').fill('ada@acme.test');
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'wrong' }).waitFor();
      await signIn(harness, page);
      await page.getByText('Ada Approver').waitFor();
      await checkAccessibility(page, 'the inbox');
      // The session survives a reload (server-side session, cookie).
      await page.reload();
      await page.getByRole('heading', { name: 'Inbox' }).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await page.reload();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
    });
  });

  test('a new case appears live, and its draft grows token by token while the model streams', async () => {
    await withPage(harness, 'streaming draft', async (page) => {
      await signIn(harness, page);
      const reply =
        'Hello Jane, thank you for your patience. Your parcel left our warehouse this morning and should arrive tomorrow.';
      harness.model.enqueue({ kind: 'stream', tokens: tokensOf(reply), delayMs: 200 });
      const conversationId = await customerMail(harness, { subject: 'Streaming please' });
      // The list updates through the account's event stream, without a reload,
      // and counts the customer's mail as unread for this user.
      await caseRow(page, conversationId).locator('.badge.unread').waitFor();
      await caseRow(page, conversationId).click();
      await page.getByRole('heading', { name: 'Streaming please' }).waitFor();
      const draftBody = page.locator('.draft-body');
      // Part of the reply, then all of it: the page saw it grow.
      await page.waitForFunction(
        (full) => {
          const text =
            (globalThis as unknown as BrowserGlobals).document.querySelector('.draft-body')
              ?.textContent ?? '';
          return text.length > 0 && text.length < full.length && full.startsWith(text);
        },
        reply,
        { polling: 'raf' },
      );
      await page.locator('.badge.streaming').waitFor();
      await page.waitForFunction(
        (full) =>
          (globalThis as unknown as BrowserGlobals).document.querySelector('.draft-body')
            ?.textContent === full,
        reply,
      );
      await page.locator('.badge.streaming').waitFor({ state: 'detached' });
      assert.equal(await draftBody.textContent(), reply);
      await caseRow(page, conversationId).filter({ hasText: 'Needs approval' }).waitFor();
      // Opening the case read it.
      await caseRow(page, conversationId).locator('.badge.unread').waitFor({ state: 'detached' });
      await checkAccessibility(page, 'a case with its draft');
    });
  });

  test('edit then approve: the customer receives the edited text, approved by the user', async () => {
    await withPage(harness, 'edit and approve', async (page) => {
      await signIn(harness, page);
      const conversationId = await openCaseWithDraft(page, 'Please edit me');
      await page.getByRole('button', { name: 'Edit (e)' }).click();
      const editor = page.getByLabel('Edit the draft');
      await editor.fill('Hello Jane, edited by Ada: your parcel ships today.');
      await page.getByRole('button', { name: 'Approve edited (a)' }).click();
      await page.getByRole('status').filter({ hasText: 'Approved' }).waitFor();
      const mail = await smtpMailFor('Please edit me');
      assert.match(mail.text ?? '', /edited by Ada: your parcel ships today\./);
      const sent = await waitUntil(
        async () =>
          (await messagesOf(conversationId)).find((m) => m.status === 'sent' && m.approval),
        { what: 'the sent reply' },
      );
      assert.equal(sent.approval?.approved_by, 'usr_acme_ada', 'the signed-in user approved it');
      // The thread shows the reply once it is sent.
      await page.locator('.message.status-sent', { hasText: 'edited by Ada' }).waitFor();
    });
  });

  test('reject with a reason', async () => {
    await withPage(harness, 'reject', async (page) => {
      await signIn(harness, page);
      const conversationId = await openCaseWithDraft(page, 'Reject this one');
      await page.getByRole('button', { name: 'Reject (r)' }).click();
      await page.getByLabel('Reason for rejecting').fill('Wrong tone');
      await page.getByRole('button', { name: 'Reject draft' }).click();
      await page.getByRole('status').filter({ hasText: 'Draft rejected.' }).waitFor();
      await page.getByText('No draft is waiting.').waitFor();
      const rejected = (await messagesOf(conversationId)).find((m) => m.status === 'rejected');
      assert.ok(rejected, 'the draft is rejected');
    });
  });

  test('schedule for later, then cancel the scheduled send', async () => {
    await withPage(harness, 'schedule and cancel', async (page) => {
      await signIn(harness, page);
      const conversationId = await openCaseWithDraft(page, 'Send it later');
      // datetime-local takes the browser's local time, which is this machine's.
      const later = new Date(Date.now() + 2 * 3_600_000);
      const pad = (n: number) => String(n).padStart(2, '0');
      const local = `${later.getFullYear()}-${pad(later.getMonth() + 1)}-${pad(later.getDate())}T${pad(later.getHours())}:${pad(later.getMinutes())}`;
      await page.getByLabel('Send at').fill(local);
      await page.getByRole('button', { name: 'Schedule' }).click();
      await page.getByRole('status').filter({ hasText: 'Scheduled.' }).waitFor();
      await page.getByText('Scheduled for').waitFor();
      const scheduled = await waitUntil(
        async () => (await messagesOf(conversationId)).find((m) => m.status === 'scheduled'),
        { what: 'the scheduled reply' },
      );
      await page.getByRole('button', { name: 'Cancel send' }).click();
      await page.getByRole('status').filter({ hasText: 'Send canceled.' }).waitFor();
      await page.getByText('Send canceled', { exact: true }).waitFor();
      const after = (await messagesOf(conversationId)).find((m) => m.id === scheduled.id);
      assert.equal(after?.status, 'canceled');
    });
  });

  test('two approvers on one draft: one wins, the other sees the conflict', async () => {
    await withPage(harness, 'conflict winner', async (first) => {
      await withPage(harness, 'conflict loser', async (second) => {
        await signIn(harness, first);
        await signIn(harness, second, SECOND_APPROVER);
        const conversationId = await openCaseWithDraft(first, 'Two approvers');
        await second.goto(`${harness.runtime.api}/#/cases/${conversationId}`);
        await second.locator('.draft-body').filter({ hasText: 'Dear customer' }).waitFor();
        // The second approver starts editing the draft as it is now...
        await second.getByRole('button', { name: 'Edit (e)' }).click();
        await second.getByLabel('Edit the draft').fill('Grace was here too.');
        // ...the first approves it meanwhile...
        await first.getByRole('button', { name: 'Approve (a)' }).click();
        await first.getByRole('status').filter({ hasText: 'Approved' }).waitFor();
        // ...and the second's approval of the version they read is refused.
        await second.getByRole('button', { name: 'Approve edited (a)' }).click();
        await second.getByRole('alert').filter({ hasText: 'Conflict' }).waitFor();
        const mail = await smtpMailFor('Two approvers');
        assert.doesNotMatch(mail.text ?? '', /Grace was here/);
        const sent = await waitUntil(
          async () =>
            (await messagesOf(conversationId)).filter((m) => m.status === 'sent' && m.approval),
          { what: 'the one reply sent' },
        );
        assert.equal(sent.length, 1);
        assert.equal(sent[0]?.approval?.approved_by, 'usr_acme_ada');
      });
    });
  });
});
