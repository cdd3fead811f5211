// Two real Postroom processes on one database, one Redis and the same IMAP
// mailboxes: every message is stored exactly once and threads stay whole
// (replies ingested side by side with their first message, by both processes),
// each mailbox is watched by one process at a time, and when the holder of a
// mailbox is SIGKILLed the survivor takes its lease over and stores the mail
// that arrives next.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import mongoose, { type Connection } from 'mongoose';
import { mailboxLeaseKey } from '../../../src/inbound/mailbox-lease.ts';
import { mailboxIdFor } from '../../../src/store/index.ts';
import { testMongoUri, testRedisUrl, uniqueName } from '../../support/env.ts';
import { appendMessage, testImapServer } from '../../support/imap.ts';
import { startPostroomProcess, type PostroomProcess } from '../../support/process.ts';
import { accountConfig, dropDatabase, dropRedisPrefix } from '../../support/runtime.ts';
import { waitUntil } from '../../support/wait.ts';

const ACCOUNT = 'acme';
const LEASE_TTL_MS = 2_000;
// A lease expires at most TTL after its last renewal; the survivor tries every TTL/3.
const TAKEOVER_BOUND_MS = LEASE_TTL_MS + Math.floor(LEASE_TTL_MS / 3);
// Timers, process start-up and Redis round trips on a busy two-core machine.
const SLACK_MS = 3_000;

const imap = testImapServer();
const prefix = uniqueName('mp');
const mongoUri = testMongoUri();
const dir = mkdtempSync(join(tmpdir(), 'postroom-multi-'));
const mailboxes = ['alpha', 'beta', 'gamma'].map((key) => ({
  key,
  id: mailboxIdFor(ACCOUNT, key),
  user: imap.userFor(key),
}));
const processes: PostroomProcess[] = [];
let redis: Redis;
let db: Connection;

/** Message-ID (bare) → mailbox key, for every message appended. */
const sent = new Map<string, string>();
/** The Message-IDs of the replies to each mailbox's first message. */
const replies = new Map<string, string[]>();

/** Message-ID of the first message of each mailbox: the later ones reply to it. */
const roots = new Map<string, string>();

function rawMessage(
  mailboxKey: string,
  n: number,
  root: string | undefined,
): { id: string; raw: string } {
  const id = `${mailboxKey}-${n}-${uniqueName('m')}@customer.test`;
  const raw = [
    `From: Customer of ${mailboxKey} <customer.${mailboxKey}@customer.test>`,
    `To: ${mailboxKey}@acme.test`,
    `Subject: ${root ? 'Re: ' : ''}Order for ${mailboxKey}`,
    `Message-ID: <${id}>`,
    ...(root ? [`In-Reply-To: <${root}>`, `References: <${root}>`] : []),
    'Date: Mon, 06 May 2024 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Message ${n} to ${mailboxKey}: my order has not arrived.`,
    '',
  ].join('\r\n');
  return { id, raw };
}

/** Appends message `n` to a mailbox; `reply` makes it a reply to the mailbox's first message. */
async function append(mailboxKey: string, n: number, reply = false): Promise<void> {
  const mailbox = mailboxes.find((m) => m.key === mailboxKey);
  assert.ok(mailbox);
  const root = reply ? roots.get(mailboxKey) : undefined;
  assert.ok(!reply || root, `${mailboxKey} has a first message to reply to`);
  const { id, raw } = rawMessage(mailboxKey, n, root);
  await appendMessage(imap, mailbox.user, raw);
  sent.set(id, mailboxKey);
  if (reply) replies.set(mailboxKey, [...(replies.get(mailboxKey) ?? []), id]);
  if (!roots.has(mailboxKey)) roots.set(mailboxKey, id);
}

/** Each first message's conversation holds it and all its replies, in gap-free sequence 1..k. */
async function assertThreads(): Promise<void> {
  const messages = db.collection<{ _id: string; conversation_id: string; sequence: number }>(
    'chat_messages',
  );
  for (const [key, root] of roots) {
    const first = await messages.findOne({
      account_id: ACCOUNT,
      mailbox_id: key,
      'email.message_id': root,
    });
    assert.ok(first, `the first message of ${key} is stored`);
    const thread = await messages
      .find({ account_id: ACCOUNT, conversation_id: first.conversation_id, kind: 'email' })
      .project<{ sequence: number; email: { message_id: string } }>({
        sequence: 1,
        'email.message_id': 1,
      })
      .toArray();
    const sequences = thread.map((m) => m.sequence).sort((a, b) => a - b);
    assert.equal(first.sequence, 1, `the first message of ${key} opens its case`);
    assert.deepEqual(
      sequences,
      Array.from({ length: thread.length }, (_, i) => i + 1),
      `the sequences of ${key}'s case are gap-free`,
    );
    assert.deepEqual(
      thread.map((m) => m.email.message_id).sort(),
      [root, ...(replies.get(key) ?? [])].sort(),
      `${key}'s case holds its first message and every reply to it`,
    );
  }
}

/** Stored email messages per (mailbox, Message-ID). */
async function storedCounts(): Promise<Map<string, number>> {
  const rows = await db
    .collection('chat_messages')
    .aggregate<{ _id: { mailbox: string; id: string }; n: number }>([
      { $match: { account_id: ACCOUNT, kind: 'email' } },
      { $group: { _id: { mailbox: '$mailbox_id', id: '$email.message_id' }, n: { $sum: 1 } } },
    ])
    .toArray();
  return new Map(rows.map((row) => [`${row._id.mailbox}/${row._id.id}`, row.n]));
}

async function waitAllStoredOnce(what: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(
    async () => {
      const counts = await storedCounts();
      return [...sent].every(([id, key]) => counts.has(`${key}/${id}`));
    },
    { timeoutMs, intervalMs: 100, what },
  );
  const counts = await storedCounts();
  for (const [id, key] of sent)
    assert.equal(counts.get(`${key}/${id}`), 1, `${id} is stored once in ${key}`);
  assert.equal(counts.size, sent.size, 'nothing else was stored');
  for (const [key, n] of counts) assert.equal(n, 1, `${key} is stored once`);
}

/** The pid in a lease token (`<host>:<pid>:<uuid>`), or null when the lease is free. */
async function leaseHolder(mailboxId: string): Promise<number | null> {
  const token = await redis.get(mailboxLeaseKey(prefix, mailboxId));
  return token ? Number(token.split(':')[1]) : null;
}

interface Interval {
  pid: number;
  mailbox: string;
  from: number;
  to: number;
}

/** When each process ran each mailbox's IMAP watcher, from its log lines (killed: until the kill). */
function watcherIntervals(killedAt: Map<number, number>): Interval[] {
  const intervals: Interval[] = [];
  for (const proc of processes) {
    const pid = proc.child.pid ?? 0;
    const open = new Map<string, number>();
    for (const line of proc.lines) {
      const mailbox = typeof line.mailbox_id === 'string' ? line.mailbox_id : null;
      if (!mailbox) continue;
      const at = Date.parse(String(line.time));
      if (line.msg === 'IMAP watcher starting') open.set(mailbox, at);
      if (line.msg === 'IMAP watcher stopped') {
        intervals.push({ pid, mailbox, from: open.get(mailbox) ?? 0, to: at });
        open.delete(mailbox);
      }
    }
    for (const [mailbox, from] of open)
      intervals.push({ pid, mailbox, from, to: killedAt.get(pid) ?? Number.POSITIVE_INFINITY });
  }
  return intervals;
}

function assertNoOverlap(intervals: Interval[]): void {
  for (const a of intervals) {
    for (const b of intervals) {
      if (a === b || a.mailbox !== b.mailbox || a.pid === b.pid) continue;
      assert.ok(
        a.to <= b.from || b.to <= a.from,
        `processes ${a.pid} and ${b.pid} watched ${a.mailbox} at the same time: ${JSON.stringify([a, b])}`,
      );
    }
  }
}

/**
 * Waits until each mailbox's IMAP watcher runs in exactly one process, the lease holder (and
 * `onlyPid` when given); at every moment of the logs, no two processes ran one mailbox at once.
 */
async function waitOneWatcherEach(killedAt: Map<number, number>, onlyPid?: number): Promise<void> {
  await waitUntil(
    async () => {
      const intervals = watcherIntervals(killedAt);
      for (const m of mailboxes) {
        const running = intervals.filter(
          (w) => w.mailbox === m.id && w.to === Number.POSITIVE_INFINITY,
        );
        const holder = await leaseHolder(m.id);
        if (running.length !== 1 || running[0]?.pid !== holder) return false;
        if (onlyPid !== undefined && holder !== onlyPid) return false;
      }
      return true;
    },
    { what: `one watcher per mailbox, run by its lease holder${onlyPid ? ` ${onlyPid}` : ''}` },
  );
  assertNoOverlap(watcherIntervals(killedAt));
}

before(async () => {
  redis = new Redis(testRedisUrl());
  db = await mongoose.createConnection(mongoUri).asPromise();
});

after(async () => {
  for (const proc of processes) await proc.stop();
  redis?.disconnect();
  await db?.close();
  await dropRedisPrefix(prefix);
  await dropDatabase(mongoUri);
  rmSync(dir, { recursive: true, force: true });
});

describe('two postroom processes on the same IMAP mailboxes', () => {
  test(
    'store every message once, one watcher per mailbox, and a SIGKILLed holder is replaced',
    { timeout: 180_000 },
    async () => {
      const configPath = join(dir, 'config.json');
      writeFileSync(
        configPath,
        JSON.stringify(
          accountConfig(
            mailboxes.map((m) => ({
              id: m.key,
              address: `${m.key}@acme.test`,
              imap: {
                host: imap.host,
                port: imap.port,
                secure: false,
                auth: { user: m.user, pass: imap.password },
                folder: 'INBOX',
              },
              outbox_folder: join(dir, `outbox-${m.key}`),
              agents: [],
            })),
          ),
        ),
      );

      // Mail waiting before anything runs: in each mailbox a first message and two replies
      // to it, all handed to ingest at once on start-up and ingested side by side.
      let n = 0;
      for (const m of mailboxes) for (let i = 0; i < 3; i++) await append(m.key, ++n, i > 0);

      for (let i = 0; i < 2; i++) {
        processes.push(
          startPostroomProcess({
            MONGODB_URI: mongoUri,
            REDIS_URL: testRedisUrl(),
            POSTROOM_QUEUE_PREFIX: prefix,
            POSTROOM_CONFIG: configPath,
            POSTROOM_MAILBOX_LEASE_TTL_MS: String(LEASE_TTL_MS),
            PORT: '0',
            LOG_LEVEL: 'info',
          }),
        );
      }
      for (const proc of processes)
        await proc.waitForLog((l) => l.msg === 'postroom started', 'start-up');
      const pids = processes.map((p) => p.child.pid ?? 0);

      // Every lease is held by one of the two.
      await waitUntil(
        async () => {
          const holders = await Promise.all(mailboxes.map((m) => leaseHolder(m.id)));
          return holders.every((pid) => pid !== null && pids.includes(pid));
        },
        { what: 'every mailbox lease to be held by one of the processes' },
      );

      // Mail arriving while both run, spread over the mailboxes: replies to each mailbox's
      // first message, so the two processes' ingest workers append to the same cases at once.
      await Promise.all(
        mailboxes.map(async (m, index) => {
          for (let i = 0; i < (index === 0 ? 5 : 3); i++) await append(m.key, ++n, true);
        }),
      );
      await waitAllStoredOnce('the 20 messages to be stored');
      await assertThreads();

      const ingested = processes.map(
        (p) =>
          p.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('inbound email'))
            .length,
      );
      console.log(
        `messages ingested per process: ${pids.map((pid, i) => `${pid}: ${ingested[i]}`).join(', ')}`,
      );
      const before = await Promise.all(
        mailboxes.map(async (m) => ({ key: m.key, pid: await leaseHolder(m.id) })),
      );
      console.log(
        `lease holders before the kill: ${JSON.stringify(before)} (processes ${pids.join(', ')})`,
      );
      await waitOneWatcherEach(new Map());

      // Kill the holder of the first mailbox; mail keeps arriving there.
      const target = mailboxes[0];
      assert.ok(target);
      const victimPid = await leaseHolder(target.id);
      const victim = processes.find((p) => p.child.pid === victimPid);
      const survivor = processes.find((p) => p !== victim);
      assert.ok(victim && survivor && survivor.child.pid);
      const killedAt = Date.now();
      await victim.stop();
      for (let i = 0; i < 4; i++) await append(target.key, ++n, true);

      const survivorPid = survivor.child.pid;
      await waitUntil(async () => (await leaseHolder(target.id)) === survivorPid, {
        timeoutMs: TAKEOVER_BOUND_MS + SLACK_MS + 10_000,
        intervalMs: 20,
        what: `the survivor to take the lease of ${target.key}`,
      });
      const takeoverMs = Date.now() - killedAt;
      await waitAllStoredOnce('the mail sent after the kill to be stored');
      const storedMs = Date.now() - killedAt;
      console.log(
        `takeover: process ${survivorPid} holds the lease of ${target.key} ${takeoverMs} ms after SIGKILL of ${victimPid} ` +
          `(TTL ${LEASE_TTL_MS} ms, bound ${TAKEOVER_BOUND_MS} ms); the 4 new messages stored ${storedMs} ms after the kill`,
      );
      assert.ok(takeoverMs <= TAKEOVER_BOUND_MS + SLACK_MS, `takeover took ${takeoverMs} ms`);

      // The survivor now watches every mailbox, and never alongside the dead one.
      await waitOneWatcherEach(new Map([[victimPid ?? 0, killedAt]]), survivorPid);
      await assertThreads();
      assert.equal(sent.size, 24);
      assert.equal(survivor.child.exitCode, null, 'the survivor is still running');
    },
  );
});
