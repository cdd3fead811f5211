// bench/deliver: messages per second from approved replies to the SMTP test
// server. 1,000 customer cases, each with the customer's mail and a reply
// `scheduled` for now, are handed to the delivery role (scheduleDelivery(), as
// the approval API does); the clock runs until the server has all 1,000.
// Baseline, in the same run: a bare pooled nodemailer transport (5
// connections, 10 sends in flight, as Postroom's delivery worker) sending the
// same messages, built by the same composer.
//
//   node --import tsx bench/deliver.ts
//
// Needs Redis (REDIS_URL, default redis://127.0.0.1:6379); MongoDB is
// MONGODB_URI when set, else the embedded store in this process.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { scheduleDelivery } from '../src/delivery/schedule.ts';
import { mailOptions } from '../src/mail/smtp/compose.ts';
import type { OutboundMail } from '../src/mail/smtp/types.ts';
import { internalsOf } from '../src/store/connect.ts';
import type { MessageRecord } from '../src/store/index.ts';
import { TEST_API_KEY, type TestRuntime } from '../test/support/runtime.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../test/support/services/smtp-server.ts';
import { waitUntil } from '../test/support/wait.ts';
import { countByCollection, recordMongoWrites } from './support/mongo-writes.ts';
import { startBenchServices } from './support/services.ts';
import { fixed, now, table } from './support/stats.ts';

const MESSAGES = 1000;
const POOL_SIZE = 5;
/** Postroom's delivery worker runs 10 jobs at once (src/delivery/deliver-worker.ts). */
const IN_FLIGHT = 10;
/** How many cases are written, and deliveries scheduled, at a time. */
const SETUP_PARALLEL = 25;
const TIMEOUT_MS = 120_000;

const ACCOUNT = 'acme';
const MAILBOX = { id: 'support', address: 'support@acme.test', name: 'Acme Support' };
const BODY =
  'Hello Jane,\n\nThanks for your patience: your order ships tomorrow and you will get a\ntracking link by email.\n\nBest regards,\nAcme Support';

function config(smtp: SmtpTestServer, dir: string): unknown {
  return {
    accounts: [
      {
        id: ACCOUNT,
        name: 'Acme',
        api_keys: [{ name: 'bench', key: TEST_API_KEY, permissions: ['admin'] }],
        mailboxes: [
          {
            id: MAILBOX.id,
            address: MAILBOX.address,
            display_name: MAILBOX.name,
            drop_folder: join(dir, 'drop'),
            smtp: { host: smtp.host, port: smtp.port, secure: false, pool_size: POOL_SIZE },
          },
        ],
      },
    ],
  };
}

/** Run `task` for 0..count-1, `parallel` at a time. */
async function forEach(
  count: number,
  parallel: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, lane));
}

/** A case as ingest leaves it (the customer's mail, sequence 1) with an approved reply. */
async function scheduledReply(runtime: TestRuntime, i: number): Promise<MessageRecord> {
  const { store } = runtime.context;
  const customer = { name: 'Jane Doe', address: `jane${i}@customer.test` };
  const title = `Order ${1000 + i} is late`;
  const inboundId = `${randomBytes(6).toString('hex')}@customer.test`;
  const conversation = await store.conversations.create({
    account_id: ACCOUNT,
    type: 'group',
    audience: 'customer',
    title,
    workflow_status: 'needs_approval',
    mailbox_id: MAILBOX.id,
    email_thread: { root_message_id: inboundId, subject_normalized: title.toLowerCase() },
    participants: [{ type: 'customer', role: 'member', customer }],
  });
  await store.messages.appendSent({
    account_id: ACCOUNT,
    conversation_id: conversation._id,
    kind: 'email',
    visibility: 'external',
    channel: 'email',
    body: 'Where is my order?',
    subject: title,
    mailbox_id: MAILBOX.id,
    participant_id: conversation.participants[0]?._id ?? null,
    email: {
      message_id: inboundId,
      from: customer,
      to: [{ name: null, address: MAILBOX.address }],
      subject: title,
      references: [],
    },
  });
  return store.messages.insert({
    account_id: ACCOUNT,
    conversation_id: conversation._id,
    kind: 'agent',
    status: 'scheduled',
    visibility: 'external',
    channel: 'email',
    body: BODY,
    subject: `Re: ${title}`,
    scheduled_at: new Date(),
    mailbox_id: MAILBOX.id,
  });
}

/** The message Postroom sends for case i, as the composer builds it. */
function equivalentMail(i: number): OutboundMail {
  const title = `Order ${1000 + i} is late`;
  const inboundId = `${randomBytes(6).toString('hex')}@customer.test`;
  return {
    messageId: `${randomBytes(8).toString('hex')}.msg_bench${i}@acme.test`,
    date: new Date(),
    from: { name: MAILBOX.name, address: MAILBOX.address },
    to: [{ name: 'Jane Doe', address: `jane${i}@customer.test` }],
    cc: [],
    replyTo: `support+${randomBytes(6).toString('hex')}@acme.test`,
    subject: `Re: ${title}`,
    inReplyTo: inboundId,
    references: [inboundId],
    text: BODY,
  };
}

interface Run {
  label: string;
  ms: number;
  received: number;
}

async function postroomRun(runtime: TestRuntime, smtp: SmtpTestServer) {
  const { store, queues } = runtime.context;
  const messages: MessageRecord[] = new Array<MessageRecord>(MESSAGES);
  await forEach(MESSAGES, SETUP_PARALLEL, async (i) => {
    messages[i] = await scheduledReply(runtime, i);
  });

  const recorder = recordMongoWrites();
  try {
    const before = smtp.messages.length;
    const t0 = now();
    await forEach(MESSAGES, SETUP_PARALLEL, async (i) => {
      const message = messages[i];
      if (message) await scheduleDelivery(queues, message);
    });
    const scheduledMs = now() - t0;
    await smtp.waitForMessages(before + MESSAGES, TIMEOUT_MS);
    const ms = now() - t0;
    // SMTP accepts a message before Postroom records it sent: wait for MongoDB too.
    // The bench's own polls go through mongoose too: counted here, taken off below.
    const { Message } = internalsOf(store).models;
    let polls = 0;
    await waitUntil(
      async () => {
        polls += 1;
        const sent = await Message.countDocuments({
          account_id: ACCOUNT,
          kind: 'agent',
          status: 'sent',
        });
        return sent >= MESSAGES;
      },
      { timeoutMs: TIMEOUT_MS, intervalMs: 50, what: `${MESSAGES} replies marked sent` },
    );
    const sentMs = now() - t0;
    return {
      run: { label: 'Postroom (delivery role)', ms, received: smtp.messages.length - before },
      scheduledMs,
      sentMs,
      writes: [...recorder.writes],
      operations: recorder.operations - polls,
    };
  } finally {
    recorder.stop();
  }
}

async function bareRun(smtp: SmtpTestServer): Promise<Run> {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: POOL_SIZE,
    host: smtp.host,
    port: smtp.port,
    secure: false,
    ignoreTLS: true,
    logger: false,
  });
  const mails = Array.from({ length: MESSAGES }, (_, i) => equivalentMail(i));
  const before = smtp.messages.length;
  try {
    const t0 = now();
    await forEach(MESSAGES, IN_FLIGHT, async (i) => {
      const mail = mails[i];
      if (mail) await transport.sendMail(mailOptions(mail));
    });
    await smtp.waitForMessages(before + MESSAGES, TIMEOUT_MS);
    return {
      label: 'bare pooled nodemailer',
      ms: now() - t0,
      received: smtp.messages.length - before,
    };
  } finally {
    transport.close();
  }
}

async function main(): Promise<void> {
  const started = now();
  const services = await startBenchServices();
  const smtp = await startSmtpTestServer();
  try {
    const runtime = await services.startRuntime(config(smtp, services.scratch), 'delivery');
    const ours = await postroomRun(runtime, smtp);
    const bare = await bareRun(smtp);

    const rate = (run: Run) => (run.received / run.ms) * 1000;
    console.log(
      `\nbench/deliver: ${MESSAGES} approved replies to the SMTP test server; pool of ${POOL_SIZE} connections; MongoDB: ${services.mongoLabel}\n`,
    );
    console.log(
      table([
        ['', 'messages', 'seconds', 'messages/s', 'ratio to bare'],
        ...[ours.run, bare].map((run) => [
          run.label,
          String(run.received),
          fixed(run.ms / 1000),
          fixed(rate(run), 1),
          `${fixed(rate(run) / rate(bare))}x`,
        ]),
      ]),
    );
    console.log(
      `\n  Postroom: clock from the first scheduleDelivery() to the ${MESSAGES}th message at the server;`,
    );
    console.log(
      `  scheduling all ${MESSAGES} jobs took ${fixed(ours.scheduledMs / 1000)} s of that; all marked sent in MongoDB after ${fixed(ours.sentMs / 1000)} s`,
    );
    console.log(
      `  bare: ${IN_FLIGHT} sendMail() calls in flight on a pool of ${POOL_SIZE}, the same as Postroom's delivery worker`,
    );
    const byCollection = [...countByCollection(ours.writes)]
      .map(([name, count]) => `${name} ${fixed(count / MESSAGES)}`)
      .join(', ');
    console.log(
      `\n  MongoDB writes per delivered message: ${fixed(ours.writes.length / MESSAGES)} (${byCollection});`,
    );
    console.log(
      `  MongoDB operations per delivered message, reads included: ${fixed(ours.operations / MESSAGES)}`,
    );
  } finally {
    await smtp.stop();
    await services.stop();
  }
  console.log(`\ndone in ${fixed((now() - started) / 1000, 1)} s`);
}

await main();
