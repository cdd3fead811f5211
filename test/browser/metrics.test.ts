// Approval metrics in a real browser: after drafts are approved unedited,
// approved edited and rejected, the metrics page draws its charts (uPlot,
// served from its npm package through the import map) with the same numbers
// as GET /v1/metrics/approvals, narrows by agent, and passes the
// accessibility check.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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
  harness.model.setDefault({ kind: 'stream', tokens: tokensOf('Dear customer, thank you.') });
});

after(async () => {
  await harness?.stop();
});

interface MessageJson {
  id: string;
  status: string;
  streaming_state: string | null;
}

/** A case whose agent draft is complete; resolves to the draft's id. */
async function draftFor(subject: string): Promise<string> {
  const conversationId = await customerMail(harness, { subject });
  const draft = await waitUntil(
    async () => {
      const list = await harness.runtime.json<{ data: MessageJson[] }>(
        `/v1/messaging/conversations/${conversationId}/messages?limit=100`,
      );
      return list.data.find((m) => m.status === 'draft' && m.streaming_state === 'complete');
    },
    { what: `a complete draft for "${subject}"` },
  );
  return draft.id;
}

async function decide(draftId: string, action: 'approve' | 'reject', body: object = {}) {
  const response = await harness.runtime.request(
    `/v1/messaging/messages/${draftId}/actions/${action}`,
    { method: 'POST', body: JSON.stringify(body) },
  );
  assert.equal(response.status, 200, await response.text());
}

describe('approval metrics in a browser', () => {
  test('charts and tables show how the drafts were decided', async () => {
    await decide(await draftFor('Metrics one'), 'approve');
    await decide(await draftFor('Metrics two'), 'approve', {
      body: 'Dear customer, thank you. Edited by a person.',
    });
    await decide(await draftFor('Metrics three'), 'reject', { reason: 'Off topic' });

    await withPage(harness, 'approval metrics', async (page) => {
      await signIn(harness, page);
      await page.getByRole('link', { name: 'Metrics', exact: true }).click();
      await page.getByRole('heading', { name: 'Approval metrics' }).waitFor();
      await page.locator('.metrics-summary[data-drafts="3"]').waitFor();
      // uPlot drew both charts on canvases; their numbers are their accessible names.
      const decisions = page.getByRole('img', { name: /^Decisions\./ });
      await decisions.locator('canvas').waitFor();
      assert.equal(
        await decisions.getAttribute('aria-label'),
        'Decisions. Approved unedited: 33%, Approved edited: 33%, Rejected: 33%',
      );
      const distances = page.getByRole('img', { name: /^Edit distance/ });
      await distances.locator('canvas').waitFor();
      const label = (await distances.getAttribute('aria-label')) ?? '';
      // Two approved drafts: one unchanged (0), one edited.
      assert.match(label, /: 1, .*: 1/, label);
      const histogram = label.split('. ')[1]?.split(', ') ?? [];
      assert.equal(histogram.length, 5, label);
      const byAgent = page.getByRole('table', { name: 'By agent' });
      await byAgent.getByRole('row', { name: /agt_acme_drafter/ }).waitFor();
      assert.match(
        (await byAgent.getByRole('row', { name: /agt_acme_drafter/ }).textContent()) ?? '',
        /^agt_acme_drafter3/,
      );
      await page
        .getByRole('table', { name: 'By mailbox' })
        .getByRole('row', { name: /support/ })
        .waitFor();
      await checkAccessibility(page, 'the approval metrics');

      // Narrowed to an agent: the same three decisions; the page asked the API with the filter.
      const asked = page.waitForRequest((r) => r.url().includes('agent_id=agt_acme_drafter'));
      await page.getByLabel('Agent', { exact: true }).selectOption('agt_acme_drafter');
      await asked;
      await page.locator('.metrics-summary[data-drafts="3"]').waitFor();
      // Opening a case from the inbox beside it leaves the page.
      await page.getByRole('link', { name: /^Metrics one/ }).click();
      await page.getByRole('heading', { name: 'Metrics one' }).waitFor();
      await page.getByRole('heading', { name: 'Approval metrics' }).waitFor({ state: 'detached' });
    });
  });

  test('at phone width the page fits, and the back button returns to the inbox', async () => {
    await withPage(
      harness,
      'approval metrics at phone width',
      async (page) => {
        await signIn(harness, page);
        await page.goto(`${harness.runtime.api}/#/metrics`);
        await page
          .getByRole('img', { name: /^Decisions\./ })
          .locator('canvas')
          .waitFor();
        const width = await page.evaluate(
          () =>
            (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } })
              .document.documentElement.scrollWidth,
        );
        assert.ok(width <= 390, `no sideways scrolling (page is ${width}px wide)`);
        await checkAccessibility(page, 'the approval metrics at phone width');
        await page.getByRole('button', { name: '← Inbox' }).click();
        await page.getByRole('heading', { name: 'Inbox' }).waitFor();
      },
      { width: 390, height: 844 },
    );
  });

  test('the vendor files are served from the package, with their types', async () => {
    const script = await fetch(`${harness.runtime.api}/app/vendor/uplot.mjs`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(await script.text(), /export \{ uPlot as default \}/);
    const css = await fetch(`${harness.runtime.api}/app/vendor/uplot.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
  });
});
