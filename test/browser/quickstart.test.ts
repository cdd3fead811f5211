// The README's quick start, ended in the browser: config/quickstart.json as
// shipped (its user and password), a customer's mail in the drop folder, and
// the quick-start user signing in at / and approving the template draft; the
// reply lands in the outbox folder.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { buildMail, newMessageId } from '../support/mail-builder.ts';
import {
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../support/runtime.ts';
import { waitUntil } from '../support/wait.ts';
import { checkAccessibility, launchChromium, withPage } from './helpers.ts';

interface QuickstartConfig {
  accounts: Array<{ mailboxes: Array<Record<string, unknown>> }>;
}

let runtime: TestRuntime | undefined;
let browser: Browser | undefined;

after(async () => {
  await browser?.close();
  if (!runtime) return;
  await runtime.stop();
  await dropRedisPrefix(runtime.prefix);
  await dropDatabase(runtime.mongoUri);
});

test('quick start in the browser: sign in as the quick-start user and approve the draft', async () => {
  const config = JSON.parse(
    readFileSync(join(import.meta.dirname, '..', '..', 'config', 'quickstart.json'), 'utf8'),
  ) as QuickstartConfig;
  // The file's folders are relative to it: here they are temporary ones.
  const home = mkdtempSync(join(tmpdir(), 'postroom-quickstart-browser-'));
  const mailbox = config.accounts[0]?.mailboxes[0];
  assert.ok(mailbox);
  mailbox.drop_folder = join(home, 'drop');
  mailbox.outbox_folder = join(home, 'outbox');
  runtime = await startTestRuntime(config);
  browser = await launchChromium();
  const api = runtime.api;

  await withPage({ browser }, 'quick start', async (page) => {
    await page.goto(`${api}/`);
    await page.getByLabel('Email').fill('approver@acme.test');
    await page.getByLabel('Password').fill('quickstart-change-me');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();

    writeFileSync(
      join(home, 'drop', 'hello.eml'),
      buildMail({ subject: 'My order has not arrived', messageId: newMessageId('quickstart') }),
    );
    await page.locator('.case-row', { hasText: 'My order has not arrived' }).click();
    await page.locator('.draft-body').filter({ hasText: 'Thank you for writing' }).waitFor();
    await checkAccessibility(page, 'the quick-start case');
    await page.getByRole('button', { name: 'Approve (a)' }).click();
    await page.getByRole('status').filter({ hasText: 'Approved' }).waitFor();
  });

  const sent = await waitUntil(
    () => readdirSync(join(home, 'outbox')).find((file) => file.endsWith('.eml')),
    { what: 'the reply in the outbox folder' },
  );
  const reply = readFileSync(join(home, 'outbox', sent), 'utf8');
  assert.match(reply, /Subject: Re: My order has not arrived/);
  assert.match(reply, /Thank you for writing to Acme Support/);
});
