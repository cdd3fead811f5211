// A restart, as a new user does it on the embedded defaults. Eight mails wait
// in an IMAP inbox; Postroom ingests them and is restarted with Redis (and its
// completed mail.ingest jobs) left as it was.
// - In-memory mode the store starts empty, so all eight are ingested again:
//   the completed jobs in Redis do not stand in for mail MongoDB lacks.
// - In the durable mode the store keeps all eight; none is ingested twice, and
//   the next new mail opens case #9.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { testRedisUrl, uniqueName } from '../../support/env.ts';
import { appendMessage, testImapServer } from '../../support/imap.ts';
import { startPostroomProcess, type PostroomProcess } from '../../support/process.ts';
import { accountConfig, dropRedisPrefix, TEST_API_KEY } from '../../support/runtime.ts';
import { freePort, waitUntil } from '../../support/wait.ts';

const imap = testImapServer();
const home = mkdtempSync(join(tmpdir(), 'postroom-restart-'));
const prefixes: string[] = [];
const processes: PostroomProcess[] = [];

after(async () => {
  for (const proc of processes) await proc.stop();
  for (const prefix of prefixes) await dropRedisPrefix(prefix);
  rmSync(home, { recursive: true, force: true });
});

interface Case {
  /** A string, as seed B types it. */
  case_number: string;
}

function mail(user: string, n: number): string {
  return [
    `From: Customer ${n} <customer${n}@customer.test>`,
    'To: support@acme.test',
    `Subject: Restart question ${n}`,
    `Message-ID: <restart-${n}-${user}@customer.test>`,
    'Date: Mon, 06 May 2024 10:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Question ${n}.`,
    '',
  ].join('\r\n');
}

/** A Postroom process on one IMAP user, a Redis prefix and (durable mode) a data directory. */
async function scenario(label: string) {
  const user = imap.userFor(label);
  const prefix = uniqueName(label);
  prefixes.push(prefix);
  const configPath = join(home, `${label}.json`);
  writeFileSync(
    configPath,
    JSON.stringify(
      accountConfig([
        {
          id: 'support',
          address: 'support@acme.test',
          imap: {
            host: imap.host,
            port: imap.port,
            secure: false,
            auth: { user, pass: imap.password },
            folder: 'INBOX',
          },
          outbox_folder: join(home, `${label}-outbox`),
          agents: [],
        },
      ]),
    ),
  );
  for (let n = 1; n <= 8; n++) await appendMessage(imap, user, mail(user, n));
  const port = await freePort();
  const start = async (env: Record<string, string>): Promise<PostroomProcess> => {
    const proc = startPostroomProcess({
      POSTROOM_CONFIG: configPath,
      REDIS_URL: testRedisUrl(),
      POSTROOM_QUEUE_PREFIX: prefix,
      PORT: String(port),
      ...env,
    });
    processes.push(proc);
    await proc.waitForLog((l) => l.msg === 'postroom started', `${label} to start`);
    return proc;
  };
  const cases = async (): Promise<Case[]> => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/messaging/conversations?limit=100`, {
      headers: { authorization: `Bearer ${TEST_API_KEY}` },
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as { data: Case[] }).data;
  };
  const stored = (proc: PostroomProcess) =>
    proc.lines.filter((l) => l.msg === 'inbound email opened a case').length;
  const stopGracefully = async (proc: PostroomProcess): Promise<void> => {
    proc.child.kill('SIGTERM');
    assert.equal((await proc.exited).code, 0);
  };
  return { user, start, cases, stored, stopGracefully };
}

describe('restarting Postroom on the embedded store', () => {
  test('in-memory mode: all 8 mails are ingested again after a restart', async () => {
    const s = await scenario('restart-mem');
    const env = { POSTROOM_EMBEDDED_STORE: 'memory' };
    const first = await s.start(env);
    await waitUntil(async () => (await s.cases()).length === 8, { what: '8 cases' });
    await s.stopGracefully(first);

    const second = await s.start(env);
    assert.ok(
      second.lines.some((l) => String(l.msg).includes('POSTROOM_EMBEDDED_STORE=memory')),
      'the process says its store is in memory',
    );
    await waitUntil(async () => (await s.cases()).length === 8, {
      what: 'the 8 mails ingested again',
    });
    await waitUntil(() => s.stored(second) === 8, { what: 'the 8 log lines of the second run' });
    const numbers = (await s.cases()).map((c) => Number(c.case_number)).sort((a, b) => a - b);
    assert.deepEqual(numbers, [1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test('durable mode: a restart keeps all 8 and ingests none twice; the next case is #9', async () => {
    const s = await scenario('restart-disk');
    const env = { POSTROOM_DATA_DIR: join(home, 'restart-disk-data') };
    const first = await s.start(env);
    await waitUntil(async () => (await s.cases()).length === 8, { what: '8 cases' });
    await s.stopGracefully(first);

    const second = await s.start(env);
    assert.equal((await s.cases()).length, 8, 'kept across the restart');
    await appendMessage(imap, s.user, mail(s.user, 9));
    await waitUntil(async () => (await s.cases()).length === 9, { what: 'the ninth mail' });
    // Log lines trail the API: wait for the ninth's, then count (stdout keeps their order).
    await waitUntil(() => s.stored(second) >= 1, { what: "the ninth mail's log line" });
    assert.equal(s.stored(second), 1, 'only the new mail was ingested');
    assert.equal(
      second.lines.filter((l) => l.msg === 'duplicate message: already stored').length,
      0,
      'nothing was ingested a second time',
    );
    const numbers = (await s.cases()).map((c) => Number(c.case_number)).sort((a, b) => a - b);
    assert.deepEqual(numbers, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
