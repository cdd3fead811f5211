// Transfer to another queue (seed C): POST .../actions/transfer moves a case
// to another mailbox of the account; the thread stays and the next reply goes
// out from the new mailbox's address, even one stored before the transfer.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { accountConfig, startTestRuntime, type TestRuntime } from '../../support/runtime.ts';
import {
  addresses,
  openCase,
  parseMail,
  scheduleReply,
  stopRuntime,
  tempDir,
  waitForStatus,
} from './helpers.ts';

let runtime: TestRuntime;
const supportOutbox = join(tempDir('outbox-support'), 'out');
const billingOutbox = join(tempDir('outbox-billing'), 'out');

function outboxMailbox(id: string, address: string, outbox: string) {
  return {
    id,
    address,
    display_name: `Acme ${id}`,
    drop_folder: tempDir('drop'),
    outbox_folder: outbox,
  };
}

async function transfer(conversationId: string, mailboxId: string): Promise<Response> {
  return runtime.request(`/v1/messaging/conversations/${conversationId}/actions/transfer`, {
    method: 'POST',
    body: JSON.stringify({ mailbox_id: mailboxId }),
  });
}

before(async () => {
  runtime = await startTestRuntime(
    accountConfig([
      outboxMailbox('support', 'support@acme.test', supportOutbox),
      outboxMailbox('billing', 'billing@acme.test', billingOutbox),
    ]),
    { roles: 'api,delivery' },
  );
});

after(() => stopRuntime(runtime));

describe('transfer to another queue', () => {
  test('keeps the thread and replies from the new mailbox; audited', async () => {
    const open = await openCase(runtime, { mailbox: 'support', title: 'Invoice is wrong' });
    const res = await transfer(open.conversation._id, 'billing');
    assert.equal(res.status, 200, await res.clone().text());
    const json = (await res.json()) as { mailbox_id: string; id: string };
    assert.equal(json.mailbox_id, 'billing');

    // Stored with the old mailbox: the case's mailbox at send time decides.
    const reply = await scheduleReply(runtime, open, { subject: 'Re: Invoice is wrong' });
    assert.equal(reply.mailbox_id, 'support');
    const sent = await waitForStatus(runtime, reply._id, 'sent');
    const files = await readdir(billingOutbox);
    assert.deepEqual(files, [`${sent.email?.message_id}.eml`]);
    const mail = await parseMail(await readFile(join(billingOutbox, files[0] ?? '')));
    assert.deepEqual(addresses(mail.from), [
      { name: 'Acme billing', address: 'billing@acme.test' },
    ]);
    assert.equal(mail.inReplyTo, `<${open.inbound.email?.message_id}>`, 'same thread');
    const token = open.conversation.email_thread?.reply_token ?? '';
    assert.deepEqual(addresses(mail.replyTo), [
      { name: '', address: `billing+${token}@acme.test` },
    ]);
    await assert.rejects(readdir(supportOutbox), 'nothing left from the old mailbox');

    const audit = await runtime.json<{ data: Array<{ kind: string; changes: unknown[] }> }>(
      `/v1/messaging/conversations/${open.conversation._id}/audit`,
    );
    const entry = audit.data.find((e) => e.kind === 'transferred');
    assert.deepEqual(entry?.changes, [
      { field: 'mailbox_id', before: 'support', after: 'billing' },
    ]);
  });

  test('an unknown mailbox is a 422 and the case stays; an unknown case is a 404', async () => {
    const open = await openCase(runtime, { mailbox: 'support' });
    const res = await transfer(open.conversation._id, 'nowhere');
    assert.equal(res.status, 422);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'invalid_mailbox');
    assert.match(body.error.message, /body\.mailbox_id/);
    const stored = await runtime.context.store.conversations.get('acme', open.conversation._id);
    assert.equal(stored?.mailbox_id, 'support');
    const missing = await transfer('cnv_nope', 'billing');
    assert.equal(missing.status, 404);
  });
});
