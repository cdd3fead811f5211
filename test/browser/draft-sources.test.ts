// What the approver sees of a grounded draft in a real browser: the knowledge
// passages it cites (title and kind of source) and the language the agent was
// told to reply in.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
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

test('a draft shows the sources it cites and the reply language', async () => {
  const uploaded = await harness.runtime.request('/v1/knowledge/documents', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      format: 'markdown',
      content:
        '# Politique de retour\n\n## Délai de remboursement\n\nLe remboursement arrive sur la carte sous 5 jours ouvrés après réception du colis.',
    }),
  });
  assert.equal(uploaded.status, 201);
  const reply = 'Bonjour, votre remboursement arrive sous 5 jours ouvrés [K1].';
  harness.model.enqueue({ kind: 'stream', tokens: tokensOf(reply) });
  const subject = 'Mon remboursement';
  const conversationId = await customerMail(harness, {
    subject,
    body: "Bonjour, j'ai renvoyé ma veste la semaine dernière. Quand vais-je recevoir mon remboursement ?",
  });
  await waitUntil(
    async () =>
      (
        await harness.runtime.json<{
          data: Array<{ status: string; streaming_state: string | null }>;
        }>(`/v1/messaging/conversations/${conversationId}/messages?limit=100`)
      ).data.some((m) => m.status === 'draft' && m.streaming_state === 'complete'),
    { what: 'the complete draft' },
  );

  await withPage(harness, 'draft sources', async (page) => {
    await signIn(harness, page);
    await page.goto(`${harness.runtime.api}/#/cases/${conversationId}`);
    await page.getByRole('heading', { name: subject }).waitFor();
    const sources = page.locator('.draft-sources');
    await sources.locator('.draft-language[data-language="fr"]').waitFor();
    assert.match((await sources.locator('.draft-language').textContent()) ?? '', /French \(fr\)/);
    const citation = sources.locator('.citations li');
    await citation.first().waitFor();
    assert.equal(await citation.count(), 1);
    const text = (await citation.first().textContent()) ?? '';
    assert.match(text, /K1/);
    assert.match(text, /Politique de retour › Délai de remboursement/);
    assert.match(text, /uploaded document/);
    await checkAccessibility(page, 'a draft with its sources');
  });
});
