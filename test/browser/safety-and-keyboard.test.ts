// Hostile mail runs nothing and loads nothing remote until the reader asks for
// remote images; the keyboard drives the inbox and the draft; the app works
// at phone width.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { tokensOf } from '../support/services/openai-server.ts';
import { waitUntil } from '../support/wait.ts';
import {
  caseRow,
  checkAccessibility,
  customerMail,
  signIn,
  startWebHarness,
  withPage,
  type WebHarness,
} from './helpers.ts';

let harness: WebHarness;

/** What a function run in the page sees (this project's TypeScript has no DOM types). */
interface PageGlobals {
  document: { documentElement: { scrollWidth: number } };
}
// Stands in for a tracker's server: the hostile mail points everything at it.
let tracker: Server;
const trackerHits: string[] = [];
let trackerUrl = '';

before(async () => {
  harness = await startWebHarness();
  harness.model.setDefault({ kind: 'stream', tokens: tokensOf('Dear customer, thank you.') });
  tracker = createServer((req, res) => {
    trackerHits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/gif' });
    res.end(Buffer.from('R0lGODlhAQABAAAAACw=', 'base64'));
  });
  await new Promise<void>((resolve) => tracker.listen(0, '127.0.0.1', resolve));
  trackerUrl = `http://127.0.0.1:${(tracker.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => tracker?.close(resolve));
  await harness?.stop();
});

function hostileHtml(): string {
  return [
    '<p>Hello <b>support</b>, please see below.</p>',
    '<script>alert("script ran"); console.log("script ran")</script>',
    `<img src="${trackerUrl}/pixel.gif" onerror="alert('onerror ran')" alt="pixel">`,
    `<img src="x" onerror="alert('onerror ran')">`,
    '<a id="js-link" href="javascript:alert(\'link ran\')">Click me</a>',
    `<div style="background-image: url('${trackerUrl}/background.gif')">styled</div>`,
    `<iframe src="${trackerUrl}/frame"></iframe>`,
    `<link rel="stylesheet" href="${trackerUrl}/style.css">`,
    '<svg><script>alert("svg ran")</script></svg>',
    `<svg onload="alert('svg onload ran')"></svg>`,
    `<form action="${trackerUrl}/form"><input name="q"><button>Go</button></form>`,
    '<body onload="alert(\'body ran\')"></body>',
  ].join('\n');
}

describe('safety and keyboard in a browser', () => {
  test('a hostile HTML mail executes nothing and loads nothing remote; remote images only on request', async () => {
    await withPage(harness, 'hostile mail', async (page) => {
      const sideEffects: string[] = [];
      page.on('dialog', (dialog) => {
        sideEffects.push(`dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });
      page.on('pageerror', (error) => sideEffects.push(`page error: ${error.message}`));
      await signIn(harness, page);
      // Only what the page does from here on counts (the sign-in check answers 401 first).
      page.on('console', (message) =>
        sideEffects.push(`console ${message.type()}: ${message.text()}`),
      );
      page.on('popup', () => sideEffects.push('a popup opened'));
      const conversationId = await customerMail(harness, {
        subject: 'Hostile HTML',
        contentType: 'text/html; charset=utf-8',
        body: hostileHtml(),
      });
      await page.goto(`${harness.runtime.api}/#/cases/${conversationId}`);
      const frameElement = page.locator('iframe[title^="Email"]');
      await frameElement.waitFor();
      const sandbox = (await frameElement.getAttribute('sandbox')) ?? '';
      assert.doesNotMatch(sandbox, /allow-scripts/, 'the mail frame may not run scripts');
      const frame = page.frameLocator('iframe[title^="Email"]');
      await frame.getByText('please see below').waitFor();
      await page.getByText('Remote images are blocked').waitFor();
      // What survived sanitizing: no script, no handler, no javascript: link, no frame or form.
      const markup = await frame.locator('body').innerHTML();
      assert.doesNotMatch(markup, /<script|onerror|onload|javascript:|<iframe|<form|<link/i);
      assert.doesNotMatch(markup, new RegExp(trackerUrl.replace(/[.:/]/g, '\\$&')));
      await frame.getByText('Click me').click();
      // Every image of the mail has settled: whatever it would load, it has asked for.
      await waitUntil(
        () =>
          frame
            .locator('img')
            .evaluateAll((images) =>
              images.every((image) => (image as { complete: boolean }).complete),
            ),
        { what: 'the mail images to settle' },
      );
      await checkAccessibility(page, 'a case with an HTML mail');
      assert.equal(trackerHits.join(', '), '', 'nothing was loaded from the remote server');
      assert.deepEqual(sideEffects, [], 'no dialog, console output, error or popup');

      // The reader chooses to show remote images: now, and only now, the tracker is asked.
      await page.getByRole('button', { name: 'Show remote images' }).click();
      await waitUntil(() => trackerHits.includes('/pixel.gif'), {
        what: 'the remote image, once allowed',
      });
      assert.ok(!trackerHits.includes('/frame') && !trackerHits.includes('/style.css'));
      assert.deepEqual(sideEffects, [], 'still nothing ran');
    });
  });

  test('the keyboard flow: j/k move, o opens, e edits, a approves, / searches, ? lists the keys', async () => {
    await withPage(harness, 'keyboard', async (page) => {
      await signIn(harness, page);
      const ids: string[] = [];
      for (const subject of ['Keyboard one', 'Keyboard two']) {
        const id = await customerMail(harness, { subject });
        ids.push(id);
        await caseRow(page, id).filter({ hasText: 'Needs approval' }).waitFor();
      }
      await page.getByRole('button', { name: 'Keyboard shortcuts' }).focus();
      await page.keyboard.press('Escape');
      await page.keyboard.press('?');
      await page.getByRole('dialog', { name: 'Keyboard' }).waitFor();
      await checkAccessibility(page, 'the keyboard help');
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'detached' });

      // The cursor starts on the first row; j moves down, k back up.
      const cursorId = () => page.locator('.case-row.cursor').getAttribute('data-case-id');
      const first = await cursorId();
      await page.keyboard.press('j');
      await waitUntil(async () => (await cursorId()) !== first, {
        what: 'the cursor to move down',
      });
      await page.keyboard.press('k');
      await waitUntil(async () => (await cursorId()) === first, { what: 'the cursor back up' });

      // Move to "Keyboard two", open it, edit, leave the field, approve.
      for (let i = 0; i < 10 && (await cursorId()) !== ids[1]; i++) await page.keyboard.press('j');
      assert.equal(await cursorId(), ids[1]);
      await page.keyboard.press('o');
      await page.getByRole('heading', { name: 'Keyboard two' }).waitFor();
      await page.locator('.draft-body').filter({ hasText: 'Dear customer' }).waitFor();
      await page.keyboard.press('e');
      const editor = page.getByLabel('Edit the draft');
      await editor.waitFor();
      // The editor takes the focus once it has rendered.
      await waitUntil(() => editor.evaluate((el) => el === el.ownerDocument.activeElement), {
        what: 'the draft editor to have the focus',
      });
      await editor.fill('Sent from the keyboard.');
      await page.keyboard.press('Escape');
      await page.keyboard.press('a');
      await page.getByRole('status').filter({ hasText: 'Approved' }).waitFor();
      await waitUntil(
        async () => {
          for (const message of harness.smtp.messages) {
            const mail = await simpleParser(message.raw);
            if (
              mail.subject === 'Re: Keyboard two' &&
              /Sent from the keyboard\./.test(mail.text ?? '')
            )
              return true;
          }
          return false;
        },
        { what: 'the keyboard-approved reply at the SMTP server' },
      );

      // / searches: the list narrows to the matching case.
      await page.keyboard.press('/');
      const search = page.getByLabel('Search');
      assert.equal(await search.evaluate((el) => el === el.ownerDocument.activeElement), true);
      await search.fill('Keyboard one');
      await waitUntil(async () => (await page.locator('.case-row').count()) === 1, {
        what: 'the search to narrow the list',
      });
      await caseRow(page, ids[0] as string).waitFor();
    });
  });

  test('at phone width the inbox and the case take the screen in turn', async () => {
    await withPage(
      harness,
      'phone width',
      async (page) => {
        await signIn(harness, page);
        const id = await customerMail(harness, { subject: 'From my phone' });
        await caseRow(page, id).click();
        await page.getByRole('heading', { name: 'From my phone' }).waitFor();
        assert.equal(await page.getByRole('heading', { name: 'Inbox' }).isVisible(), false);
        const width = await page.evaluate(
          () => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth,
        );
        assert.ok(width <= 390, `no sideways scrolling (page is ${width}px wide)`);
        await checkAccessibility(page, 'a case at phone width');
        await page.getByRole('button', { name: '← Inbox' }).click();
        await page.getByRole('heading', { name: 'Inbox' }).waitFor();
      },
      { width: 390, height: 844 },
    );
  });
});
