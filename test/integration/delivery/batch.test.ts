// A burst of replies handed to delivery at once: one customer's server
// refusing for good or for a while never holds up, fails or duplicates the
// others, and two delivery processes working the same queue send each reply
// exactly once.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { MessageRecord } from '../../../src/store/index.ts';
import { accountConfig, startTestRuntime, type TestRuntime } from '../../support/runtime.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import {
  openCase,
  parseMail,
  scheduleReply,
  smtpMailbox,
  startDeliveryRuntime,
  stopRuntime,
  waitForStatus,
} from './helpers.ts';

const BATCH = 12;

let smtp: SmtpTestServer;
let runtime: TestRuntime;

before(async () => {
  smtp = await startSmtpTestServer();
  runtime = await startDeliveryRuntime([smtpMailbox(smtp)]);
});

after(async () => {
  await stopRuntime(runtime);
  await smtp.stop();
});

beforeEach(() => {
  smtp.reset();
  smtp.messages.length = 0;
});

function customer(label: string, i: number) {
  return { name: `Customer ${i}`, address: `${label}${i}@customer.test` };
}

/** `count` cases, each with its own customer, and one scheduled reply each, all handed over at once. */
async function burst(label: string, count = BATCH): Promise<MessageRecord[]> {
  const cases = [];
  // One at a time: case numbers are the highest + 1, and the burst is the replies, not the cases.
  for (let i = 0; i < count; i++) {
    cases.push(await openCase(runtime, { customer: customer(label, i), title: `Order ${i}` }));
  }
  return Promise.all(cases.map((open) => scheduleReply(runtime, open)));
}

/** How many accepted messages went to each envelope recipient. */
function receivedBy(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of smtp.messages) {
    for (const to of message.envelope.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  }
  return counts;
}

describe('delivery of a burst', () => {
  test('one recipient refused for good (RCPT 550): that reply failed with the reason, the others sent once', async () => {
    const refused = customer('refused', 3).address;
    smtp.failRecipient(refused, { code: 550, message: 'No such user here' });
    const replies = await burst('refused');

    const outcomes = await Promise.all(
      replies.map((reply, i) => waitForStatus(runtime, reply._id, i === 3 ? 'failed' : 'sent')),
    );
    const failed = outcomes[3];
    assert.equal(failed?.delivery?.attempts, 1);
    assert.equal(failed?.delivery?.last_error?.code, '550');
    assert.match(failed?.delivery?.last_error?.response ?? '', /No such user here/);
    assert.deepEqual(
      failed?.delivery?.history?.map((h) => h.outcome),
      ['failed'],
    );

    await smtp.waitForMessages(BATCH - 1);
    const counts = receivedBy();
    assert.equal(counts.get(refused), undefined, 'the refused customer got nothing');
    for (let i = 0; i < BATCH; i++) {
      if (i === 3) continue;
      assert.equal(counts.get(customer('refused', i).address), 1, `customer ${i} got one reply`);
    }
    for (const sent of outcomes.filter((_, i) => i !== 3)) {
      assert.equal(sent?.delivery?.attempts, 1);
    }
  });

  test('one recipient deferred (RCPT 451): retried and sent with the same Message-ID; the others sent once', async () => {
    const deferred = customer('deferred', 5).address;
    smtp.failRecipient(deferred, { code: 451 });
    const replies = await burst('deferred');

    const sent = await Promise.all(
      replies.map((reply) => waitForStatus(runtime, reply._id, 'sent')),
    );
    const retried = sent[5];
    assert.equal(retried?.delivery?.attempts, 2);
    assert.deepEqual(
      retried?.delivery?.history?.map((h) => h.outcome),
      ['will_retry', 'sent'],
    );
    assert.equal(retried?.delivery?.history[0]?.error?.code, '451');
    for (const [i, message] of sent.entries()) {
      if (i !== 5) assert.equal(message?.delivery?.attempts, 1, `reply ${i}: one attempt`);
    }

    const received = await smtp.waitForMessages(BATCH);
    const counts = receivedBy();
    for (let i = 0; i < BATCH; i++) {
      assert.equal(counts.get(customer('deferred', i).address), 1, `customer ${i} got one reply`);
    }
    const toDeferred = received.find((m) => m.envelope.to.includes(deferred));
    assert.ok(toDeferred);
    assert.equal((await parseMail(toDeferred.raw)).messageId, `<${retried?.email?.message_id}>`);
  });

  test('two delivery processes on the same queue and database send each reply once', async () => {
    const second = await startTestRuntime(accountConfig([smtpMailbox(smtp)]), {
      roles: 'delivery',
      mongoUri: runtime.mongoUri,
      prefix: runtime.prefix,
    });
    try {
      // Stalled 250s keep transactions open, so both processes hold jobs at once.
      smtp.stallNext(150, BATCH);
      const replies = await burst('race', BATCH * 2);
      const sent = await Promise.all(
        replies.map((reply) => waitForStatus(runtime, reply._id, 'sent', 30_000)),
      );
      await smtp.waitForMessages(BATCH * 2);
      const counts = receivedBy();
      for (let i = 0; i < BATCH * 2; i++) {
        assert.equal(counts.get(customer('race', i).address), 1, `customer ${i} got one reply`);
      }
      assert.equal(smtp.messages.length, BATCH * 2);
      for (const message of sent) {
        assert.equal(message.delivery?.attempts, 1);
        assert.equal(
          (message.delivery?.history ?? []).filter((h) => h.outcome === 'sent').length,
          1,
        );
      }
      // Every reply took one sequence of its case: none was recorded sent twice.
      assert.deepEqual(
        sent.map((m) => m.sequence),
        sent.map(() => 2),
      );
    } finally {
      // The first runtime owns (and drops) the shared database and prefix.
      await second.stop();
    }
  });
});
