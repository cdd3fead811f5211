// Approval end to end with the delivery role: what a human approves is what
// goes out (the outbox folder stands in for SMTP), and a cancel in time means
// nothing goes out.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestRuntime } from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';
import {
  act,
  caseWithDraft,
  createCase,
  createDraft,
  customerEmail,
  deliverJob,
  message,
  okJson,
  startApprovalRuntime,
  stopRuntime,
} from './helpers.ts';

let runtime: TestRuntime & { outbox: string };
const store = () => runtime.context.store;

function outboxFiles(): string[] {
  try {
    return readdirSync(runtime.outbox).filter((name) => name.endsWith('.eml'));
  } catch {
    return [];
  }
}

describe('approve with the delivery role', () => {
  before(async () => {
    runtime = await startApprovalRuntime('api,delivery');
  });
  after(() => stopRuntime(runtime));

  test('the approved, edited text is sent by email and the message becomes sent', async () => {
    const { draft } = await caseWithDraft(store(), 'Dear Jane, it ships tomorrow.');
    const edited = 'Dear Jane, it shipped today. Tracking: 1Z999.';
    await okJson(await act(runtime, draft._id, 'approve', { body: edited }));
    const sent = await waitUntil(
      async () => {
        const current = await message(store(), draft._id);
        return current.status === 'sent' ? current : null;
      },
      { what: 'the approved draft to be sent' },
    );
    assert.equal(typeof sent.sequence, 'number');
    assert.equal(sent.approval?.original_body, 'Dear Jane, it ships tomorrow.');
    const files = outboxFiles();
    const eml = files
      .map((name) => readFileSync(join(runtime.outbox, name), 'utf8'))
      .find((text) => text.includes('1Z999'));
    assert.ok(eml, 'the edited body went out');
    assert.ok(!eml.includes('ships tomorrow'), 'not the agent draft');
  });

  test('a channel "message" draft is delivered in the conversation', async () => {
    const conversation = await createCase(store());
    const trigger = await customerEmail(store(), conversation);
    const { draft } = await createDraft(store(), trigger, {
      channel: 'message',
      body: 'We are on it.',
    });
    await okJson(await act(runtime, draft._id, 'approve'));
    const sent = await waitUntil(
      async () => {
        const current = await message(store(), draft._id);
        return current.status === 'sent' ? current : null;
      },
      { what: 'the in-conversation reply to be sent' },
    );
    assert.equal(typeof sent.sequence, 'number');
  });

  test('a reply canceled before its time is never sent', async () => {
    const { draft } = await caseWithDraft(store(), 'Dear Jane, never mind.');
    // Far enough ahead that approve and cancel both land before it, however slow the machine.
    const later = new Date(Date.now() + 3_000);
    await okJson(await act(runtime, draft._id, 'approve', { scheduled_at: later.toISOString() }));
    await okJson(await act(runtime, draft._id, 'cancel'));
    // Not a fixed sleep: past the scheduled time, with no delivery job left to run
    // (the cancel removed it) or the one left having run and found the message canceled.
    await waitUntil(
      async () => {
        if (Date.now() < later.getTime() + 500) return false;
        const job = await deliverJob(runtime, draft._id);
        return !job || (await job.getState()) === 'completed';
      },
      { what: 'the scheduled time to pass with no delivery pending' },
    );
    assert.equal((await message(store(), draft._id)).status, 'canceled');
    const texts = outboxFiles().map((name) => readFileSync(join(runtime.outbox, name), 'utf8'));
    assert.ok(!texts.some((text) => text.includes('never mind')));
  });
});
