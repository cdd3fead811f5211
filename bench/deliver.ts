// bench/deliver: messages per second from approved replies to the SMTP test
// server. 1,000 customer cases, each with the customer's mail and a reply
// `scheduled` for now, are handed to the delivery role (scheduleDelivery(), as
// the approval API does); the clock runs until the server has all 1,000.
// Baseline, in the same run: a bare pooled nodemailer transport (5
// connections, 10 sends in flight, as Postroom's delivery worker) sending the
// same messages, built by the same composer. Three rounds (Postroom, then
// bare), each on fresh cases; the medians are printed. MongoDB round trips
// are counted with the driver's command monitoring (commandStarted on the
// store's client; the bench's own polls taken off).
//
//   node --import tsx bench/deliver.ts
//
// Needs Redis (REDIS_URL, default redis://127.0.0.1:6379); MongoDB is
// MONGODB_URI when set, else the embedded store in this process.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CommandStartedEvent } from 'mongodb';
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
import { fixed, now, summarize, table } from './support/stats.ts';

const MESSAGES = 1000;
const POOL_SIZE = 5;
/** Postroom's delivery worker runs 10 jobs at once (src/delivery/deliver-worker.ts). */
const IN_FLIGHT = 10;
/** How many deliveries are scheduled at a time. */
const SETUP_PARALLEL = 25;
/**
 * Cases are written one at a time: case numbers are the highest + 1 with a
 * bounded retry on the unique index, which even 4 racing creators exhaust on
 * a loaded machine (setup only, not timed).
 */
const CREATE_PARALLEL = 1;
const TIMEOUT_MS = 120_000;
const RUNS = 3;
/** Handshakes and session bookkeeping: not round trips of Postroom's work. */
const NOT_COUNTED = new Set(['hello', 'ismaster', 'isMaster', 'ping', 'endSessions']);

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

/** The driver's commands by name, from when it starts until stop(). */
function countCommands(runtime: TestRuntime) {
  const client = internalsOf(runtime.context.store).connection.getClient();
  const counts = new Map<string, number>();
  const onStarted = (event: CommandStartedEvent) => {
    if (NOT_COUNTED.has(event.commandName)) return;
    counts.set(event.commandName, (counts.get(event.commandName) ?? 0) + 1);
  };
  client.on('commandStarted', onStarted);
  return {
    counts,
    stop: () => client.off('commandStarted', onStarted),
  };
}

async function postroomRun(runtime: TestRuntime, smtp: SmtpTestServer, round: number) {
  const { store, queues } = runtime.context;
  const messages: MessageRecord[] = new Array<MessageRecord>(MESSAGES);
  await forEach(MESSAGES, CREATE_PARALLEL, async (i) => {
    messages[i] = await scheduledReply(runtime, round * MESSAGES + i);
  });

  const recorder = recordMongoWrites();
  const commands = countCommands(runtime);
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
      roundTrips: [...commands.counts.values()].reduce((a, b) => a + b, 0) - polls,
      commands: new Map(commands.counts),
      polls,
    };
  } finally {
    commands.stop();
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

const median = (values: number[]) => summarize(values).p50;

async function main(): Promise<void> {
  const started = now();
  const services = await startBenchServices();
  // The driver emits commandStarted only with monitoring on: a URI option, so
  // the store's own connection string carries it (nothing else changes).
  const uri = new URL(process.env.POSTROOM_TEST_MONGODB_URI ?? '');
  uri.searchParams.set('monitorCommands', 'true');
  process.env.POSTROOM_TEST_MONGODB_URI = uri.toString();
  const smtp = await startSmtpTestServer();
  try {
    const runtime = await services.startRuntime(config(smtp, services.scratch), 'delivery');
    const rate = (run: Run) => (run.received / run.ms) * 1000;
    const rounds = [];
    for (let round = 0; round < RUNS; round++) {
      const ours = await postroomRun(runtime, smtp, round);
      const bare = await bareRun(smtp);
      rounds.push({ ours, bare });
      console.log(
        `  round ${round + 1}: Postroom ${fixed(rate(ours.run), 1)}/s, bare ${fixed(rate(bare), 1)}/s, ratio ${fixed(rate(ours.run) / rate(bare))}x, ${fixed(ours.roundTrips / MESSAGES)} MongoDB round trips/message`,
      );
    }
    const ours = rounds.map((r) => r.ours);
    const bares = rounds.map((r) => r.bare);
    console.log(
      `\nbench/deliver: ${MESSAGES} approved replies to the SMTP test server; pool of ${POOL_SIZE} connections; MongoDB: ${services.mongoLabel}; median of ${RUNS} rounds\n`,
    );
    const oursRate = median(ours.map((o) => rate(o.run)));
    const bareRate = median(bares.map(rate));
    // Each round's ratio is of two runs back to back under the same load: the
    // median of those, not a ratio of rates taken under different loads.
    const ratioToBare = median(rounds.map((r) => rate(r.ours.run) / rate(r.bare)));
    console.log(
      table([
        ['', 'messages/round', 'messages/s (median)', 'ratio to bare (median of rounds)'],
        [
          'Postroom (delivery role)',
          String(MESSAGES),
          fixed(oursRate, 1),
          `${fixed(ratioToBare)}x`,
        ],
        ['bare pooled nodemailer', String(MESSAGES), fixed(bareRate, 1), '1.00x'],
      ]),
    );
    console.log(
      `\n  Postroom: clock from the first scheduleDelivery() to the ${MESSAGES}th message at the server;`,
    );
    console.log(
      `  scheduling all ${MESSAGES} jobs took ${fixed(median(ours.map((o) => o.scheduledMs)) / 1000)} s of that; all marked sent in MongoDB after ${fixed(median(ours.map((o) => o.sentMs)) / 1000)} s`,
    );
    console.log(
      `  bare: ${IN_FLIGHT} sendMail() calls in flight on a pool of ${POOL_SIZE}, the same as Postroom's delivery worker`,
    );
    const middle = [...ours].sort((a, b) => a.roundTrips - b.roundTrips)[Math.floor(RUNS / 2)];
    if (middle) {
      const byCommand = [...middle.commands]
        .sort((a, b) => b[1] - a[1])
        .map(([name, count]) => `${name} ${fixed(count / MESSAGES)}`)
        .join(', ');
      console.log(
        `\n  MongoDB round trips per delivered message (driver command monitoring): ${fixed(middle.roundTrips / MESSAGES)} (${byCommand}; the bench's ${middle.polls} polls taken off)`,
      );
      const byCollection = [...countByCollection(middle.writes)]
        .map(([name, count]) => `${name} ${fixed(count / MESSAGES)}`)
        .join(', ');
      console.log(
        `  MongoDB writes per delivered message: ${fixed(middle.writes.length / MESSAGES)} (${byCollection})`,
      );
    }
  } finally {
    await smtp.stop();
    await services.stop();
  }
  console.log(`\ndone in ${fixed((now() - started) / 1000, 1)} s`);
}

await main();
