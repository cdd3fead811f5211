// The way back from failure in a real browser: a reply that failed for good
// during an SMTP outage is sent again from the case view once the server has
// recovered (same Message-ID), and a case whose drafting run failed for good
// gets a draft again from the "Draft a reply" button once the model is back.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { tokensOf } from '../support/services/openai-server.ts';
import { waitUntil } from '../support/wait.ts';
import {
  checkAccessibility,
  customerMail,
  signIn,
  startWebHarness,
  withPage,
  type WebHarness,
} from './helpers.ts';

let harness: WebHarness;

before(async () => {
  harness = await startWebHarness();
});

after(async () => {
  await harness?.stop();
});

beforeEach(() => {
  harness.smtp.reset();
  harness.model.setDefault({ kind: 'stream', tokens: tokensOf('Dear customer, thank you.') });
});

interface MessageJson {
  id: string;
  kind: string;
  status: string;
  body: string | null;
  streaming_state: string | null;
  email: { message_id: string | null } | null;
}

async function messagesOf(conversationId: string): Promise<MessageJson[]> {
  const list = await harness.runtime.json<{ data: MessageJson[] }>(
    `/v1/messaging/conversations/${conversationId}/messages?limit=100`,
  );
  return list.data;
}

describe('recovery actions in a browser', () => {
  test('retry a failed send after the SMTP server recovers', async () => {
    await withPage(harness, 'retry failed send', async (page) => {
      await signIn(harness, page);
      const conversationId = await customerMail(harness, { subject: 'Outage reply' });
      await waitUntil(
        async () =>
          (await messagesOf(conversationId)).some(
            (m) => m.status === 'draft' && m.streaming_state === 'complete',
          ),
        { what: 'a complete draft' },
      );
      // Every attempt in the delivery budget (3) meets a temporary refusal.
      harness.smtp.failAlways(421);
      await page.goto(`${harness.runtime.api}/#/cases/${conversationId}`);
      await page.locator('.draft-body').filter({ hasText: 'Dear customer' }).waitFor();
      await page.getByRole('button', { name: 'Approve (a)' }).click();
      await page.getByRole('status').filter({ hasText: 'Approved' }).waitFor();
      // The case view shows the failure live, with its retry button.
      const retry = page.getByRole('button', { name: 'Retry send' });
      await retry.waitFor({ timeout: 30_000 });
      await page.getByText('Delivery failed').waitFor();
      await checkAccessibility(page, 'a case with a failed send');
      const failed = (await messagesOf(conversationId)).find((m) => m.status === 'failed');
      assert.ok(failed, 'the reply failed for good');

      harness.smtp.reset(); // the server has recovered
      await retry.click();
      await page.getByRole('status').filter({ hasText: 'Sending again.' }).waitFor();
      await page.locator('.message.status-sent', { hasText: 'Dear customer' }).waitFor();
      await retry.waitFor({ state: 'detached' });
      const sent = (await messagesOf(conversationId)).find((m) => m.id === failed.id);
      assert.equal(sent?.status, 'sent');
      const delivered = await waitUntil(
        async () => {
          for (const message of harness.smtp.messages) {
            const parsed = await simpleParser(message.raw);
            if (parsed.subject === 'Re: Outage reply') return parsed;
          }
          return undefined;
        },
        { what: 'the retried reply at the SMTP server' },
      );
      assert.equal(delivered.messageId, `<${failed.email?.message_id}>`, 'the same Message-ID');
    });
  });

  test('regenerate after a failed run: the model is back, a new draft streams in', async () => {
    await withPage(harness, 'regenerate after failed run', async (page) => {
      await signIn(harness, page);
      // Every attempt of the first run fails (the catalog allows 4).
      harness.model.enqueue(
        ...Array.from({ length: 4 }, () => ({ kind: 'status', status: 500 }) as const),
      );
      const conversationId = await customerMail(harness, { subject: 'Model outage' });
      await waitUntil(
        async () => (await messagesOf(conversationId)).some((m) => m.kind === 'alert'),
        { what: 'the failed-run alert', timeoutMs: 30_000 },
      );
      await page.goto(`${harness.runtime.api}/#/cases/${conversationId}`);
      await page.getByRole('heading', { name: 'Model outage' }).waitFor();
      await page.getByText('No draft is waiting.').waitFor();
      await checkAccessibility(page, 'a case whose run failed');

      harness.model.enqueue({
        kind: 'stream',
        tokens: tokensOf('Back again: here is your answer.'),
      });
      await page.getByRole('button', { name: 'Draft a reply' }).click();
      await page.getByRole('status').filter({ hasText: 'A new draft was requested.' }).waitFor();
      await page
        .locator('.draft-body')
        .filter({ hasText: 'Back again: here is your answer.' })
        .waitFor();
      await page.locator('.badge.streaming').waitFor({ state: 'detached' });
      const drafts = (await messagesOf(conversationId)).filter((m) => m.status === 'draft');
      assert.equal(drafts.length, 1);
      assert.equal(drafts[0]?.body, 'Back again: here is your answer.');
    });
  });
});
