// The kill-mid-burst scenario shared by the crash tests: 25 customer cases
// with 4 scheduled replies each go to a delivery process, which is SIGKILLed
// once the SMTP test server has recorded 30 of them while every DATA reply is
// stalled (so transactions are in flight at the kill); a second process
// (delivery and maintenance) finishes the burst. Each test then asserts what
// its mailbox's design guarantees about duplicates.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scheduleDelivery } from '../../../src/delivery/schedule.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import { createQueues } from '../../../src/queues/queues.ts';
import { connectStore, type MessageRecord, type Store } from '../../../src/store/index.ts';
import { testMongoUri, testRedisUrl, uniqueName } from '../../support/env.ts';
import { startPostroomProcess, type PostroomProcess } from '../../support/process.ts';
import { accountConfig, dropDatabase, dropRedisPrefix } from '../../support/runtime.ts';
import type { SmtpTestServer } from '../../support/services/smtp-server.ts';
import { waitUntil } from '../../support/wait.ts';

const ACCOUNT = 'acme';
const MAILBOX = 'support';
const CUSTOMER = { name: 'Jane Doe', address: 'jane@customer.test' };
const CONVERSATIONS = 25;
const REPLIES_PER_CONVERSATION = 4;
export const TOTAL = CONVERSATIONS * REPLIES_PER_CONVERSATION;
const KILL_AFTER_RECEIVED = 30;
export const POOL_SIZE = 5;
// Long enough that the kill lands while transactions wait for their 250.
const STALL_MS = 400;

interface BurstResult {
  /** Every message of the burst as it ended (all sent: checked). */
  sent: MessageRecord[];
  /** Copies received by the SMTP server per Message-ID, before and after the kill. */
  received: Map<string, number>;
  deliveries: number;
  receivedBeforeKill: number;
  recoveredMs: number;
  /** Messages whose delivery took more than one attempt (resumed after the kill). */
  resumed: number;
  survivor: PostroomProcess;
}

export interface Burst {
  run(): Promise<BurstResult>;
  cleanup(): Promise<void>;
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

/**
 * `mailbox`: the mailbox's config beyond id, address and SMTP (its inbound
 * side: a drop folder or IMAP), sending to `smtp` with POOL_SIZE connections.
 */
export function killedBurst(
  label: string,
  smtp: SmtpTestServer,
  mailbox: Record<string, unknown>,
): Burst {
  const dir = mkdtempSync(join(tmpdir(), `postroom-${label}-`));
  const prefix = uniqueName(label.slice(0, 4));
  const mongoUri = testMongoUri(uniqueName(label.replace(/[^a-z0-9]/gi, '')));
  const logger = createLogger('silent');
  const processes: PostroomProcess[] = [];
  let store: Store | undefined;
  let queues: ReturnType<typeof createQueues> | undefined;
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify(
      accountConfig([
        {
          id: MAILBOX,
          address: 'support@acme.test',
          display_name: 'Acme Support',
          smtp: { host: smtp.host, port: smtp.port, secure: false, pool_size: POOL_SIZE },
          delivery: { max_attempts: 5, backoff_ms: 200 },
          ...mailbox,
        },
      ]),
    ),
  );

  async function startProcess(roles: string): Promise<PostroomProcess> {
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
    await proc.waitForLog((line) => line.msg === 'postroom started', 'postroom started');
    return proc;
  }

  return {
    async run() {
      // Process A applies the bootstrap (account, mailbox) at start, then delivers.
      const a = await startProcess('delivery');
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

      const survivor = await startProcess('delivery,maintenance');
      const ids = messages.map((m) => m._id);
      const settled = await waitUntil(
        async () => {
          const all = await Promise.all(ids.map((id) => db.messages.get(ACCOUNT, id)));
          const done = all.every((m) => m?.status === 'sent' || m?.status === 'failed');
          return done ? all.filter((m): m is MessageRecord => m !== null) : null;
        },
        { timeoutMs: 120_000, intervalMs: 250, what: `all ${TOTAL} messages sent` },
      );
      const recoveredMs = Date.now() - killedAt;
      const received = new Map<string, number>();
      for (const mail of smtp.messages) {
        const id = messageIdOf(mail.raw);
        received.set(id, (received.get(id) ?? 0) + 1);
      }
      assertSettled(settled, received);
      return {
        sent: settled,
        received,
        deliveries: smtp.messages.length,
        receivedBeforeKill,
        recoveredMs,
        resumed: settled.filter((m) => (m.delivery?.attempts ?? 0) > 1).length,
        survivor,
      };
    },
    async cleanup() {
      for (const proc of processes) await proc.stop();
      await queues?.close();
      await store?.close();
      await dropRedisPrefix(prefix);
      await dropDatabase(mongoUri);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * What every variant guarantees: none failed; each message sent with its
 * sequence and received at least once; nothing else received; each case's
 * replies hold 2..5 after the customer's mail (1), no gaps, no repeats.
 */
function assertSettled(settled: MessageRecord[], received: Map<string, number>): void {
  const failed = settled.filter((m) => m.status === 'failed');
  assert.deepEqual(
    failed.map((m) => ({ id: m._id, error: m.delivery?.last_error })),
    [],
    'no message failed',
  );
  assert.equal(settled.length, TOTAL);
  const sequences = new Map<string, number[]>();
  for (const message of settled) {
    assert.equal(message.status, 'sent');
    assert.ok(Number.isInteger(message.sequence), `${message._id} has a sequence`);
    const messageId = message.email?.message_id;
    assert.ok(messageId, `${message._id} has its Message-ID`);
    assert.ok((received.get(messageId) ?? 0) >= 1, `${message._id} reached the server`);
    const list = sequences.get(message.conversation_id) ?? [];
    list.push(message.sequence ?? 0);
    sequences.set(message.conversation_id, list);
  }
  const ours = new Set(settled.map((m) => m.email?.message_id));
  for (const id of received.keys()) assert.ok(ours.has(id), `${id} is one of the burst`);
  assert.equal(received.size, TOTAL);
  for (const [conversation, list] of sequences) {
    assert.deepEqual(
      list.sort((x, y) => x - y),
      Array.from({ length: REPLIES_PER_CONVERSATION }, (_, i) => i + 2),
      `sequences of ${conversation}`,
    );
  }
}
