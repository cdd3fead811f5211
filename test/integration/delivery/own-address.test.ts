// Delivery never sends to the account's own mailbox addresses or aliases: a
// case whose customer is one of them (opened by mail from ourselves before
// such mail was kept out of cases) would otherwise mail itself in a loop.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { internalsOf } from '../../../src/store/connect.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import {
  CUSTOMER,
  conversationOf,
  openCase,
  parseMail,
  scheduleReply,
  smtpMailbox,
  startDeliveryRuntime,
  stopRuntime,
  tempDir,
  waitForJobDone,
  waitForStatus,
  waitForWorkflow,
} from './helpers.ts';

let smtp: SmtpTestServer;
let runtime: TestRuntime;

before(async () => {
  smtp = await startSmtpTestServer();
  runtime = await startDeliveryRuntime([
    smtpMailbox(smtp, { aliases: ['help@acme.test'] }),
    {
      id: 'sales',
      address: 'sales@acme.test',
      drop_folder: tempDir('sales-drop'),
      outbox_folder: tempDir('sales-outbox'),
    },
  ]);
});

after(async () => {
  await stopRuntime(runtime);
  await smtp.stop();
});

beforeEach(() => {
  smtp.reset();
  smtp.messages.length = 0;
});

/** A case whose customer participant is one of our own addresses, as mail from ourselves left it. */
async function caseFromOurselves(address: string) {
  const open = await openCase(runtime, { title: `Loop ${address}` });
  const { store } = runtime.context;
  const { Conversation, Message } = internalsOf(store).models;
  await Conversation.updateOne(
    { _id: open.conversation._id },
    { $set: { 'participants.0.customer.address': address.toLowerCase() } },
  );
  await Message.updateOne(
    { _id: open.inbound._id },
    { $set: { 'email.from': { name: null, address } } },
  );
  const inbound = await store.messages.get('acme', open.inbound._id);
  assert.ok(inbound);
  return { ...open, conversation: await conversationOf(runtime, open.conversation._id), inbound };
}

describe('delivery to our own addresses', () => {
  for (const address of [
    'support@acme.test',
    'SUPPORT@ACME.TEST',
    'support+x@acme.test',
    'help@acme.test',
    'sales@acme.test',
  ]) {
    test(`a reply whose only recipient is ${address} fails with own_address, unsent`, async () => {
      const open = await caseFromOurselves(address);
      const attemptsBefore = smtp.attempts;
      const reply = await scheduleReply(runtime, open);
      const failed = await waitForStatus(runtime, reply._id, 'failed');
      assert.equal(failed.delivery?.last_error?.code, 'own_address');
      const why = failed.delivery?.last_error?.message ?? '';
      assert.ok(why.toLowerCase().includes(address.toLowerCase()), why);
      assert.match(why, /own address/);
      assert.equal(failed.delivery?.attempts ?? 0, 0, 'no SMTP transaction was begun');
      await waitForJobDone(runtime, reply._id);
      assert.equal(smtp.attempts, attemptsBefore, 'the SMTP server saw nothing');
      // As any reply that fails for good: the team is told.
      await waitForWorkflow(runtime, open.conversation._id, 'waiting_internal');
    });
  }

  test('own addresses among other recipients are dropped; the customer still gets the reply', async () => {
    const open = await openCase(runtime);
    const reply = await scheduleReply(runtime, open, {
      email: {
        to: [CUSTOMER, { name: 'Us', address: 'Support+Case@acme.test' }],
        cc: [
          { name: null, address: 'help@acme.test' },
          { name: null, address: 'boss@customer.test' },
        ],
      },
    });
    const sent = await waitForStatus(runtime, reply._id, 'sent');
    const [mail] = await smtp.waitForMessages(1);
    assert.ok(mail);
    assert.deepEqual(mail.envelope.to.sort(), ['boss@customer.test', CUSTOMER.address].sort());
    const parsed = await parseMail(mail.raw);
    assert.ok(parsed.cc, 'the remaining Cc is kept');
    assert.doesNotMatch(mail.raw.toString('utf8'), /support\+case@acme\.test|help@acme\.test/i);
    // The message shows whom it went to.
    assert.deepEqual(
      sent.email?.to.map((a) => a.address),
      [CUSTOMER.address],
    );
    assert.deepEqual(
      sent.email?.cc.map((a) => a.address),
      ['boss@customer.test'],
    );
  });
});
