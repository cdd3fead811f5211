// Browser tests: Debian's chromium driven by playwright-core against the real
// runtime (every role, the embedded or test MongoDB, Redis), a test SMTP
// server for replies and the fake OpenAI server for streamed drafts. A failing
// test leaves a screenshot (its path is printed); every page is checked with
// axe-core for serious or critical accessibility violations.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startOpenAiTestServer, type OpenAiTestServer } from '../support/services/openai-server.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../support/services/smtp-server.ts';
import { buildMail, newMessageId, type MailOptions } from '../support/mail-builder.ts';
import {
  TEST_API_KEY,
  dropDatabase,
  dropRedisPrefix,
  startTestRuntime,
  type TestRuntime,
} from '../support/runtime.ts';
import { waitUntil } from '../support/wait.ts';

const APPROVER = { email: 'ada@acme.test', password: 'correct horse battery staple' };
export const SECOND_APPROVER = { email: 'grace@acme.test', password: 'another long passphrase' };

export interface WebHarness {
  runtime: TestRuntime;
  smtp: SmtpTestServer;
  model: OpenAiTestServer;
  browser: Browser;
  drop: string;
  stop(): Promise<void>;
}

const ALL = ['messaging:read', 'messaging:write', 'messaging:approve', 'messaging:delete', 'admin'];

export async function startWebHarness(): Promise<WebHarness> {
  const smtp = await startSmtpTestServer();
  const model = await startOpenAiTestServer();
  const drop = mkdtempSync(join(tmpdir(), 'postroom-browser-drop-'));
  const runtime = await startTestRuntime({
    accounts: [
      {
        id: 'acme',
        name: 'Acme',
        api_keys: [{ name: 'test', key: TEST_API_KEY, permissions: ALL }],
        users: [
          {
            id: 'ada',
            name: 'Ada Approver',
            email: APPROVER.email,
            password: APPROVER.password,
            permissions: ALL,
          },
          {
            id: 'grace',
            name: 'Grace Second',
            email: SECOND_APPROVER.email,
            password: SECOND_APPROVER.password,
            permissions: ['messaging:read', 'messaging:write', 'messaging:approve'],
          },
        ],
        agents: [
          {
            id: 'drafter',
            name: 'Drafter',
            handle: 'drafter',
            provider: {
              type: 'openai',
              base_url: model.baseURL,
              api_key: 'sk-test',
              model: 'gpt-test',
            },
            instructions: 'You draft polite replies for Acme.',
            trigger_policy: 'always',
          },
        ],
        mailboxes: [
          {
            id: 'support',
            address: 'support@acme.test',
            display_name: 'Acme Support',
            drop_folder: drop,
            smtp: { host: smtp.host, port: smtp.port, secure: false },
            agents: ['drafter'],
            delivery: { max_attempts: 3, backoff_ms: 200 },
          },
        ],
        agent_runs_per_conversation_per_hour: 50,
      },
    ],
  });
  const browser = await launchChromium();
  return {
    runtime,
    smtp,
    model,
    browser,
    drop,
    async stop() {
      await browser.close();
      await runtime.stop();
      await smtp.stop();
      await model.stop();
      await dropRedisPrefix(runtime.prefix);
      await dropDatabase(runtime.mongoUri);
    },
  };
}

/** Debian's chromium (installed by the test services), headless. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.POSTROOM_TEST_CHROMIUM ?? '/usr/bin/chromium',
    // As root, chromium's own sandbox cannot start.
    args: ['--no-sandbox'],
    headless: true,
  });
}

let dropped = 0;

/** A customer's mail arrives (drop folder); resolves to its conversation id. */
export async function customerMail(
  harness: WebHarness,
  options: MailOptions = {},
): Promise<string> {
  const messageId = options.messageId ?? newMessageId('browser');
  dropped += 1;
  writeFileSync(
    join(harness.drop, `${Date.now()}-${dropped}.eml`),
    buildMail({ ...options, messageId }),
  );
  const message = await waitUntil(
    () => harness.runtime.context.store.messages.findByEmailMessageId('acme', 'support', messageId),
    { what: `the inbound mail ${messageId}`, timeoutMs: 15_000 },
  );
  return message.conversation_id;
}

/**
 * Run `body` with a fresh page (its own cookies). On failure a screenshot is
 * saved to a temp dir and its path printed, then the error is rethrown.
 */
export async function withPage(
  harness: Pick<WebHarness, 'browser'>,
  name: string,
  body: (page: Page) => Promise<void>,
  viewport = { width: 1280, height: 800 },
): Promise<void> {
  const context = await harness.browser.newContext({ viewport });
  const page = await context.newPage();
  try {
    await body(page);
  } catch (error) {
    const dir = mkdtempSync(join(tmpdir(), 'postroom-browser-failure-'));
    const path = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.png`);
    await page.screenshot({ path, fullPage: true }).catch(() => undefined);
    console.log(`browser test "${name}" failed: screenshot at ${path}`);
    throw error;
  } finally {
    await context.close();
  }
}

export async function signIn(
  harness: WebHarness,
  page: Page,
  who: { email: string; password: string } = APPROVER,
): Promise<void> {
  await page.goto(`${harness.runtime.api}/`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/** axe-core injected through the DevTools protocol (the page's CSP allows no inline script). */
export async function checkAccessibility(page: Page, what: string): Promise<void> {
  await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const { axe: engine } = globalThis as unknown as {
      axe: { run(): Promise<{ violations: AxeViolation[] }> };
    };
    const result = await engine.run();
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
  assert.deepEqual(serious, [], `accessibility of ${what}`);
}

export function caseRow(page: Page, conversationId: string) {
  return page.locator(`[data-case-id="${conversationId}"]`);
}
