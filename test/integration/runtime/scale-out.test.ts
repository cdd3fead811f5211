// The roles spread over six real processes, as a scaled-out deployment runs
// them: one api (with the agent and maintenance roles), one watcher, two ingest
// and two delivery processes, all on one MongoDB. The whole flow runs twice:
// on a single Redis, and on a local 3-master Redis Cluster (redis+cluster://,
// the {hash-tag} queue prefix). Mail appended to Dovecot is stored once each,
// drafted, approved over the API and sent; the jobs each process ran (BullMQ's
// processedBy, `<host>:<pid>`) add up to the work done; a delivery process
// SIGKILLed with sends in flight has those jobs finished by the other one.
//
// Each process serves /metrics (worker processes on POSTROOM_METRICS_PORT),
// and the job counts they report, summed over the processes of a role, match
// the work done (the killed process's counters die with it, so delivery is
// checked on the survivor against the jobs it finished).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { createLogger } from '../../../src/platform/logger.ts';
import { createRedis, closeRedis } from '../../../src/queues/redis.ts';
import { connectStore, type Store } from '../../../src/store/index.ts';
import { testMongoUri, testRedisUrl, uniqueName } from '../../support/env.ts';
import { appendMessage, testImapServer } from '../../support/imap.ts';
import { buildMail, newMessageId } from '../../support/mail-builder.ts';
import { startPostroomProcess, type PostroomProcess } from '../../support/process.ts';
import {
  accountConfig,
  dropDatabase,
  dropRedisPrefix,
  TEST_API_KEY,
} from '../../support/runtime.ts';
import {
  startRedisCluster,
  type RedisClusterForTest,
} from '../../support/services/redis-cluster.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../support/services/smtp-server.ts';
import { waitUntil } from '../../support/wait.ts';

const MAILS = 8;
// Every first transaction's 250 comes this late: the kill lands with sends in flight.
const STALL_MS = 4_000;

const imap = testImapServer();
const dir = mkdtempSync(join(tmpdir(), 'postroom-scale-'));
let cluster: RedisClusterForTest | undefined;
let clusterSkip: string | undefined;

before(async () => {
  try {
    cluster = await startRedisCluster(3);
  } catch (error) {
    clusterSkip = `no local Redis Cluster: ${(error as Error).message}`;
    console.log(clusterSkip);
  }
});

after(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Json {
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON, checked by the assertions
}

/** postroom_jobs_total by "queue|outcome", from a Prometheus text exposition. */
type JobCounts = Map<string, number>;

function jobCounts(exposition: string): JobCounts {
  const counts: JobCounts = new Map();
  for (const match of exposition.matchAll(/^postroom_jobs_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries(
      [...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]),
    );
    counts.set(`${labels.queue}|${labels.outcome}`, Number(match[2]));
  }
  return counts;
}

function count(counts: JobCounts, queue: string, outcome: string): number {
  return counts.get(`${queue}|${outcome}`) ?? 0;
}

/** The pid in a processedBy (`<host>:<pid>`). */
function pidOf(processedBy: string | undefined): number {
  return Number(processedBy?.split(':').pop());
}

async function scaleOut(label: string, redisUrl: string, prefix: string): Promise<void> {
  const mongoUri = testMongoUri();
  const user = imap.userFor(label);
  const smtp: SmtpTestServer = await startSmtpTestServer();
  const logger = createLogger('silent');
  const processes: PostroomProcess[] = [];
  const connection = createRedis(redisUrl, 'producer', logger);
  const queue = (name: string) => new Queue(name, { connection, prefix });
  /** Waits for `count` completed jobs in a queue (never more: one job per piece of work). */
  const completedJobs = async (name: string, count: number) => {
    const jobs = await waitUntil(
      async () => {
        const done = await queue(name).getJobs(['completed']);
        return done.length >= count ? done : null;
      },
      { timeoutMs: 30_000, what: `${count} completed ${name} jobs` },
    );
    assert.equal(jobs.length, count, `one completed ${name} job per piece of work`);
    return jobs;
  };
  let store: Store | undefined;
  try {
    const configPath = join(dir, `${label}.json`);
    writeFileSync(
      configPath,
      JSON.stringify(
        accountConfig([
          {
            id: 'support',
            address: 'support@acme.test',
            display_name: 'Acme Support',
            imap: {
              host: imap.host,
              port: imap.port,
              secure: false,
              auth: { user, pass: imap.password },
              folder: 'INBOX',
            },
            smtp: { host: smtp.host, port: smtp.port, secure: false },
            agents: ['drafter'],
            delivery: { max_attempts: 4, backoff_ms: 200 },
          },
        ]),
      ),
    );
    const common = {
      MONGODB_URI: mongoUri,
      REDIS_URL: redisUrl,
      POSTROOM_QUEUE_PREFIX: prefix,
      POSTROOM_CONFIG: configPath,
      HOST: '127.0.0.1',
      PORT: '0',
      // Worker processes' /metrics port, where the build has one: any free port each.
      POSTROOM_METRICS_PORT: '0',
      LOG_LEVEL: 'info',
    };
    const start = (roles: string) => {
      const proc = startPostroomProcess({ ...common, POSTROOM_ROLES: roles });
      processes.push(proc);
      return proc;
    };
    const api = start('api,agent,maintenance');
    const watcher = start('watcher');
    const ingest = [start('ingest'), start('ingest')];
    const delivery = [start('delivery'), start('delivery')];
    // Six processes starting at once on two busy cores: allow them time.
    for (const proc of processes)
      await waitUntil(() => proc.lines.some((l) => l.msg === 'postroom started'), {
        timeoutMs: 120_000,
        intervalMs: 100,
        what: `process ${proc.child.pid} to start; last lines: ${JSON.stringify(proc.lines.slice(-3))}, stderr: ${proc.stderr.join('').slice(-1000)}`,
      });
    const listening = await api.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('HTTP API listening on '),
      'the API address',
    );
    const base = String(listening.msg).slice('HTTP API listening on '.length);
    const request = (path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${TEST_API_KEY}`,
          'content-type': 'application/json',
          ...init.headers,
        },
      });
    store = await connectStore(mongoUri, logger);
    const db = store;

    // Mail arrives; the watcher hands it to the two ingest processes.
    const sentIds: string[] = [];
    for (let i = 0; i < MAILS; i++) {
      const id = newMessageId(`${label}-${i}`);
      sentIds.push(id);
      await appendMessage(
        imap,
        user,
        buildMail({ messageId: id, subject: `Order ${i} is late`, body: `Where is order ${i}?` }),
      );
    }
    const inbound = await waitUntil(
      async () => {
        const found = await Promise.all(
          sentIds.map((id) => db.messages.findByEmailMessageId('acme', 'support', id)),
        );
        return found.every(Boolean) ? found.map((m) => m!) : null;
      },
      { timeoutMs: 60_000, what: `the ${MAILS} mails to be stored` },
    );
    assert.equal(new Set(inbound.map((m) => m.conversation_id)).size, MAILS, 'one case per mail');

    // Each mail was one ingest job, run by one of the ingest processes: together, all of them.
    const ingestPids = ingest.map((p) => p.child.pid);
    // (A job completes just after its message is stored.)
    const ingested = await completedJobs('mail.ingest', MAILS);
    const perIngest = ingestPids.map(
      (pid) => ingested.filter((job) => pidOf(job.processedBy) === pid).length,
    );
    assert.equal(
      perIngest.reduce((a, b) => a + b, 0),
      MAILS,
      `the ingest processes ran every ingest job (${perIngest.join(' + ')})`,
    );

    // The api process's agent role drafts a reply to each case.
    const drafts = await waitUntil(
      async () => {
        const found = await Promise.all(
          inbound.map(async (m) => {
            const page = await request(
              `/v1/messaging/conversations/${m.conversation_id}/messages?status=draft`,
            );
            const body = (await page.json()) as Json;
            return (body.data as Json[]).find((d) => d.streaming_state === 'complete');
          }),
        );
        return found.every(Boolean) ? (found as Json[]) : null;
      },
      { timeoutMs: 60_000, what: 'a complete draft in every case' },
    );
    const runs = await completedJobs('agent.run', MAILS);
    assert.ok(
      runs.every((job) => pidOf(job.processedBy) === api.child.pid),
      'the agent role of the api process ran them',
    );

    // Approve every draft; the first sends hang on their 250 while one delivery process dies.
    smtp.stallNext(STALL_MS, MAILS);
    for (const draft of drafts) {
      const approved = await request(`/v1/messaging/messages/${draft.id}/actions/approve`, {
        method: 'POST',
        body: JSON.stringify({}),
      });
      assert.equal(approved.status, 200, await approved.clone().text());
    }
    const deliveryPids = delivery.map((p) => p.child.pid);
    const inFlight = await waitUntil(
      async () => {
        const active = await queue('message.deliver').getActive();
        const byPid = active.filter((job) => deliveryPids.includes(pidOf(job.processedBy)));
        return byPid.length > 0 && smtp.attempts > 0 ? byPid : null;
      },
      { timeoutMs: 30_000, intervalMs: 10, what: 'a delivery job in flight' },
    );
    const victimPid = pidOf(inFlight[0]?.processedBy);
    const victimJobs = inFlight.filter((job) => pidOf(job.processedBy) === victimPid);
    const victim = delivery.find((p) => p.child.pid === victimPid);
    const survivor = delivery.find((p) => p !== victim);
    assert.ok(victim && survivor);
    await victim.stop();
    const killedAt = Date.now();

    // Every reply ends sent: the survivor finishes what the dead process had taken.
    const sent = await waitUntil(
      async () => {
        const messages = await Promise.all(
          drafts.map((d) => db.messages.get('acme', String(d.id))),
        );
        return messages.every((m) => m?.status === 'sent') ? messages.map((m) => m!) : null;
      },
      { timeoutMs: 90_000, intervalMs: 100, what: 'every approved reply to be sent' },
    );
    console.log(
      `${label}: process ${victimPid} SIGKILLed with ${victimJobs.length} delivery job(s) in flight; ` +
        `all ${MAILS} replies sent ${Date.now() - killedAt} ms later by ${survivor.child.pid}`,
    );
    const deliverJobs = await completedJobs('message.deliver', MAILS);
    for (const job of victimJobs) {
      const finished = deliverJobs.find((j) => j.id === job.id);
      assert.equal(
        pidOf(finished?.processedBy),
        survivor.child.pid,
        `job ${job.id}, taken by the killed process, was finished by the survivor`,
      );
    }
    assert.ok(
      deliverJobs.every((job) => deliveryPids.includes(pidOf(job.processedBy))),
      'only the delivery processes ran delivery jobs',
    );
    // Each reply reached the server; a send cut off by the kill may have gone twice (same Message-ID).
    const received = new Map<string, number>();
    for (const m of smtp.messages) {
      const id = /^Message-ID:\s*<([^>]+)>/im.exec(m.raw.toString('latin1'))?.[1] ?? '';
      received.set(id, (received.get(id) ?? 0) + 1);
    }
    for (const message of sent) {
      const copies = received.get(message.email?.message_id ?? '') ?? 0;
      assert.ok(copies >= 1 && copies <= 2, `${message._id} reached the server (${copies} copies)`);
    }

    // Every process serves metrics; the job counts summed over the processes
    // that ran each queue match the work done.
    const metricsOf = async (url: string): Promise<JobCounts> => {
      const response = await fetch(`${url}/metrics`);
      assert.equal(response.status, 200, `${url} serves /metrics`);
      return jobCounts(await response.text());
    };
    const metricsUrl = (proc: (typeof processes)[number]): string => {
      const line = proc.lines.find(
        (l) => typeof l.msg === 'string' && /^metrics, health and readiness on /.test(l.msg),
      );
      const url = /(http:\/\/\S+)/.exec(String(line?.msg))?.[1];
      assert.ok(url, `process ${proc.child.pid} says where its metrics are`);
      return url;
    };
    const apiCounts = await metricsOf(base);
    assert.equal(
      count(apiCounts, 'agent.run', 'completed'),
      drafts.length,
      'the api process (agent role) counts one completed run per draft',
    );
    await metricsOf(metricsUrl(watcher));
    const ingestCounts = await Promise.all(ingest.map((p) => metricsOf(metricsUrl(p))));
    assert.equal(
      ingestCounts.reduce((sum, c) => sum + count(c, 'mail.ingest', 'stored'), 0),
      MAILS,
      'the two ingest processes together count each mail stored once',
    );
    // The killed process's counters died with it: the survivor's terminal
    // outcomes are exactly the delivery jobs it finished.
    const survivorCounts = await metricsOf(metricsUrl(survivor));
    const finishedBySurvivor = deliverJobs.filter(
      (job) => pidOf(job.processedBy) === survivor.child.pid,
    ).length;
    assert.equal(
      ['sent', 'failed', 'canceled', 'skipped'].reduce(
        (sum, outcome) => sum + count(survivorCounts, 'message.deliver', outcome),
        0,
      ),
      finishedBySurvivor,
      'the surviving delivery process counts the delivery jobs it finished',
    );
    for (const proc of [api, watcher, ...ingest, survivor])
      assert.equal(proc.child.exitCode, null, `process ${proc.child.pid} is still running`);
  } finally {
    for (const proc of processes) await proc.stop();
    await store?.close();
    await closeRedis(connection);
    await smtp.stop();
    if (!redisUrl.includes('+cluster')) await dropRedisPrefix(prefix);
    await dropDatabase(mongoUri);
  }
}

describe('roles scaled out over six processes', () => {
  test('on a single Redis', { timeout: 240_000 }, async () => {
    await scaleOut('single', testRedisUrl(), uniqueName('so'));
  });

  test('on a 3-master Redis Cluster', { timeout: 240_000 }, async (t) => {
    if (!cluster) return t.skip(clusterSkip);
    await scaleOut('cluster', cluster.url, `{${uniqueName('so')}}`);
  });
});
