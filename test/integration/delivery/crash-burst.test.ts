// A delivery process SIGKILLed in the middle of a burst of 100 sends: a second
// process finishes the burst, every message ends `sent` (at least once at the
// SMTP server, with its sequence), none `failed`, and how many the customer
// got twice is counted and bounded.
//
// Why duplicates happen and what bounds them: an attempt is counted in MongoDB
// (sending_at) before its SMTP transaction, and a receipt goes to Redis the
// moment the server answers 250. A process killed after the server took the
// message but before that receipt leaves the message `scheduled` with no
// receipt, and the job that resumes it (BullMQ's stalled-job recovery in the
// survivor once the dead worker's 30 s lock expires; the reconciler after
// interruptedAfterMs if that job were lost) sends it again, with the same
// Message-ID. Only a transaction in flight at the kill can be lost this way,
// and the killed process has at most pool_size (5) connections to the
// mailbox's server, one transaction each: at most 5 duplicates, each received
// at most twice. The test server stalls its DATA reply after recording the
// message, so every transaction in flight at the kill is such a duplicate:
// the figure printed is the worst case, not the usual one (a real server's
// 250 leaves a window of milliseconds).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { scheduleDelivery } from '../../../src/delivery/schedule.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import { createQueues, type Queues } from '../../../src/queues/queues.ts';
import { connectStore, type MessageRecord, type Store } from '../../../src/store/index.ts';
import { testMongoUri, testRedisUrl, uniqueName } from '../../support/env.ts';
import { startPostroomProcess, type PostroomProcess } from '../../support/process.ts';
import { accountConfig, dropDatabase, dropRedisPrefix } from '../../support/runtime.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import { waitUntil } from '../../support/wait.ts';

const ACCOUNT = 'acme';
const MAILBOX = 'support';
const CUSTOMER = { name: 'Jane Doe', address: 'jane@customer.test' };
const CONVERSATIONS = 25;
const REPLIES_PER_CONVERSATION = 4;
const TOTAL = CONVERSATIONS * REPLIES_PER_CONVERSATION;
const KILL_AFTER_RECEIVED = 30;
const POOL_SIZE = 5;
// Long enough that the kill lands while transactions wait for their 250.
const STALL_MS = 400;

const dir = mkdtempSync(join(tmpdir(), 'postroom-crash-burst-'));
const prefix = uniqueName('cb');
const mongoUri = testMongoUri(uniqueName('crashburst'));
const logger = createLogger('silent');
const processes: PostroomProcess[] = [];
let smtp: SmtpTestServer;
let store: Store | undefined;
let queues: Queues | undefined;

function startProcess(roles: string): PostroomProcess {
  const proc = startPostroomProcess({
    MONGODB_URI: mongoUri,
    REDIS_URL: testRedisUrl(),
    POSTROOM_CONFIG: join(dir, 'config.json'),
    POSTROOM_QUEUE_PREFIX: prefix,
    POSTROOM_ROLES: roles,
    PORT: '0',
    LOG_LEVEL: 'info',
  });
  processes.push(proc);
  return proc;
}

async function started(proc: PostroomProcess): Promise<void> {
  await proc.waitForLog((line) => line.msg === 'postroom started', 'postroom started');
}

/** The bare Message-ID header of a raw message. */
function messageIdOf(raw: Buffer): string {
  const head = raw.toString('latin1').split(/\r?\n\r?\n/, 1)[0] ?? '';
  const match = /^Message-ID:\s*<([^>\r\n]+)>/im.exec(head);
  assert.ok(match?.[1], 'every received message has a Message-ID');
  return match[1];
}

/** A customer case opened by their email (sequence 1), and its scheduled replies. */
async function openCaseWithReplies(db: Store, n: number): Promise<MessageRecord[]> {
  const title = `Order ${1000 + n} is late`;
  const inboundId = `${uniqueName(`in${n}`)}@customer.test`;
  const conversation = await db.conversations.create({
    account_id: ACCOUNT,
    type: 'group',
    audience: 'customer',
    title,
    workflow_status: 'needs_approval',
    mailbox_id: MAILBOX,
    email_thread: { root_message_id: inboundId, subject_normalized: title.toLowerCase() },
    participants: [{ type: 'customer', role: 'member', customer: CUSTOMER }],
  });
  await db.messages.appendSent({
    account_id: ACCOUNT,
    conversation_id: conversation._id,
    kind: 'email',
    visibility: 'external',
    channel: 'email',
    body: 'Where is my order?',
    subject: title,
    mailbox_id: MAILBOX,
    participant_id: conversation.participants[0]?._id ?? null,
    email: {
      message_id: inboundId,
      from: CUSTOMER,
      to: [{ name: null, address: 'support@acme.test' }],
      subject: title,
      references: [],
    },
  });
  const replies: MessageRecord[] = [];
  for (let i = 1; i <= REPLIES_PER_CONVERSATION; i++) {
    replies.push(
      await db.messages.insert({
        account_id: ACCOUNT,
        conversation_id: conversation._id,
        kind: 'agent',
        status: 'scheduled',
        visibility: 'external',
        channel: 'email',
        body: `Hello Jane,\n\nUpdate ${i} on order ${1000 + n}.`,
        scheduled_at: new Date(),
        mailbox_id: MAILBOX,
      }),
    );
  }
  return replies;
}

before(async () => {
  smtp = await startSmtpTestServer();
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify(
      accountConfig([
        {
          id: MAILBOX,
          address: 'support@acme.test',
          display_name: 'Acme Support',
          drop_folder: join(dir, 'drop'),
          smtp: { host: smtp.host, port: smtp.port, secure: false, pool_size: POOL_SIZE },
          delivery: { max_attempts: 5, backoff_ms: 200 },
        },
      ]),
    ),
  );
});

after(async () => {
  for (const proc of processes) await proc.stop();
  await queues?.close();
  await store?.close();
  await smtp?.stop();
  await dropRedisPrefix(prefix);
  await dropDatabase(mongoUri);
  rmSync(dir, { recursive: true, force: true });
});

describe('delivery worker SIGKILLed during a burst', () => {
  test(
    `all ${TOTAL} messages end sent, duplicates at most pool_size`,
    { timeout: 150_000 },
    async () => {
      // Process A applies the bootstrap (account, mailbox) at start, then delivers.
      const a = startProcess('delivery');
      await started(a);
      store = await connectStore(mongoUri, logger);
      queues = createQueues(testRedisUrl(), prefix, logger);
      const db = store;
      const q = queues;

      const cases = Array.from({ length: CONVERSATIONS }, (_, i) => openCaseWithReplies(db, i + 1));
      const messages = (await Promise.all(cases)).flat();
      assert.equal(messages.length, TOTAL);

      // Every DATA reply comes STALL_MS after the message was recorded: sends overlap.
      smtp.stallNext(STALL_MS, 10 * TOTAL);
      await Promise.all(messages.map((message) => scheduleDelivery(q, message)));

      await smtp.waitForMessages(KILL_AFTER_RECEIVED, 60_000);
      a.child.kill('SIGKILL');
      const killedAt = Date.now();
      const exit = await a.exited;
      assert.equal(exit.signal, 'SIGKILL');
      const receivedBeforeKill = smtp.messages.length;
      assert.ok(receivedBeforeKill < TOTAL, 'the kill landed mid-burst');
      // The survivor need not be slowed down.
      smtp.reset();

      const b = startProcess('delivery,maintenance');
      await started(b);
      const ids = messages.map((m) => m._id);
      const sent = await waitUntil(
        async () => {
          const all = await Promise.all(ids.map((id) => db.messages.get(ACCOUNT, id)));
          const settled = all.every((m) => m?.status === 'sent' || m?.status === 'failed');
          return settled ? all.filter((m): m is MessageRecord => m !== null) : null;
        },
        { timeoutMs: 120_000, intervalMs: 250, what: `all ${TOTAL} messages sent` },
      );
      const recoveredMs = Date.now() - killedAt;
      const failed = sent.filter((m) => m.status === 'failed');
      assert.deepEqual(
        failed.map((m) => ({ id: m._id, error: m.delivery?.last_error })),
        [],
        'no message failed',
      );
      assert.equal(sent.length, TOTAL);

      // Each message: sent with a sequence, its Message-ID received at least once.
      const received = new Map<string, number>();
      for (const mail of smtp.messages) {
        const id = messageIdOf(mail.raw);
        received.set(id, (received.get(id) ?? 0) + 1);
      }
      const sequences = new Map<string, number[]>();
      for (const message of sent) {
        assert.equal(message.status, 'sent');
        assert.ok(Number.isInteger(message.sequence), `${message._id} has a sequence`);
        const messageId = message.email?.message_id;
        assert.ok(messageId, `${message._id} has its Message-ID`);
        assert.ok((received.get(messageId) ?? 0) >= 1, `${message._id} reached the server`);
        const list = sequences.get(message.conversation_id) ?? [];
        list.push(message.sequence ?? 0);
        sequences.set(message.conversation_id, list);
      }
      // Nothing else was received: every delivery is one of ours.
      const ours = new Set(sent.map((m) => m.email?.message_id));
      for (const id of received.keys()) assert.ok(ours.has(id), `${id} is one of the burst`);
      // After the customer's mail (1), each case's replies hold 2..5, no gaps, no repeats.
      for (const [conversation, list] of sequences) {
        assert.deepEqual(
          list.sort((x, y) => x - y),
          Array.from({ length: REPLIES_PER_CONVERSATION }, (_, i) => i + 2),
          `sequences of ${conversation}`,
        );
      }

      const duplicated = [...received.values()].filter((n) => n > 1);
      const maxCopies = Math.max(...received.values());
      // Messages whose attempt in the killed process never recorded an outcome.
      const resumed = sent.filter((m) => (m.delivery?.attempts ?? 0) > 1).length;
      console.log(
        `crash-burst: ${TOTAL} messages, ${smtp.messages.length} SMTP deliveries, ` +
          `${duplicated.length} received twice or more (max copies ${maxCopies}); ` +
          `${receivedBeforeKill} received before the kill, ${resumed} resumed after it; ` +
          `all sent ${recoveredMs} ms after the kill (bound: one duplicate per SMTP ` +
          `connection of the killed process, pool_size ${POOL_SIZE})`,
      );
      assert.equal(received.size, TOTAL);
      assert.equal(smtp.messages.length, TOTAL + duplicated.reduce((s, n) => s + n - 1, 0));
      // Only a transaction in flight at the kill can be resent: at most one per pool connection.
      assert.ok(maxCopies <= 2, 'no message was received more than twice');
      assert.ok(
        duplicated.length <= POOL_SIZE,
        `at most pool_size (${POOL_SIZE}) duplicates, got ${duplicated.length}`,
      );
    },
  );
});
