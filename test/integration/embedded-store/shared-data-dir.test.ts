// Several Postroom processes on one data directory, without MONGODB_URI: the
// first hosts the embedded store, the others join it, and all of them see the
// same conversations. A further process joins rather than opening a second
// store; when the host is SIGKILLed a joined process takes the directory over
// on the same port; and a directory held by a process that does not answer
// (SIGSTOPped) makes a newcomer stop with a message naming POSTROOM_DATA_DIR.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { testRedisUrl, uniqueName } from '../../support/env.ts';
import { startPostroomProcess, type PostroomProcess } from '../../support/process.ts';
import { dropRedisPrefix } from '../../support/runtime.ts';
import { freePort, waitUntil } from '../../support/wait.ts';
import { caseNumbers, dropFolderHome } from './drop-folder-home.ts';

const prefix = uniqueName('shared');
const { home, configPath, dropMail } = dropFolderHome('shared', prefix);
const dataDir = join(home, 'data');
const processes: PostroomProcess[] = [];

after(async () => {
  for (const proc of processes) {
    if (proc.child.signalCode === null && proc.child.exitCode === null) proc.child.kill('SIGCONT');
    await proc.stop();
  }
  await dropRedisPrefix(prefix);
  rmSync(home, { recursive: true, force: true });
});

function start(roles: string, extra: Record<string, string> = {}): PostroomProcess {
  const proc = startPostroomProcess({
    POSTROOM_CONFIG: configPath,
    POSTROOM_ROLES: roles,
    POSTROOM_DATA_DIR: dataDir,
    REDIS_URL: testRedisUrl(),
    POSTROOM_QUEUE_PREFIX: prefix,
    PORT: extra.PORT ?? '0',
    ...extra,
  });
  processes.push(proc);
  return proc;
}

const started = (proc: PostroomProcess) =>
  proc.waitForLog((l) => l.msg === 'postroom started', 'the process to start');
const hosting = (l: Record<string, unknown>) =>
  l.msg === 'hosting the embedded store of this data directory';
const joinedHost = (l: Record<string, unknown>) =>
  l.msg === 'joined the embedded store hosted by another process on this data directory';

describe('one data directory, many processes', () => {
  let apiPort = 0;
  let api: PostroomProcess;

  test('the api role hosts; two worker processes join and store what the api lists', async () => {
    apiPort = await freePort();
    api = start('api', { PORT: String(apiPort) });
    await api.waitForLog(hosting, 'the api process to host the store');
    await started(api);
    const workers = [start('watcher,ingest'), start('ingest,agent,delivery,maintenance')];
    for (const worker of workers) {
      await worker.waitForLog(joinedHost, 'a worker to join the store');
      await started(worker);
    }
    for (let n = 1; n <= 5; n++) dropMail(n);
    await waitUntil(async () => (await caseNumbers(apiPort)).length === 5, {
      what: 'the api to list the 5 cases the workers stored',
    });
    const numbers = await caseNumbers(apiPort);
    assert.deepEqual(numbers, [1, 2, 3, 4, 5]);
    for (const proc of [api, ...workers]) {
      assert.equal(proc.lines.filter(hosting).length, proc === api ? 1 : 0);
    }
  });

  test('a further full process joins rather than opening a second store', async () => {
    const another = start('all', { PORT: String(await freePort()) });
    await another.waitForLog(joinedHost, 'the further process to join');
    await started(another);
    assert.equal(another.lines.filter(hosting).length, 0);
    await another.stop();
  });

  test('when the host is SIGKILLed, a joined process takes over on the same port', async () => {
    const lock = JSON.parse(readFileSync(join(dataDir, 'store.lock.json'), 'utf8')) as {
      port: number;
      pid: number;
    };
    assert.equal(lock.pid, api.child.pid);
    api.child.kill('SIGKILL');
    await api.exited;
    const takeover = await waitUntil(
      () =>
        processes
          .flatMap((p) => p.lines)
          .find((l) => String(l.msg).includes('this process hosts it now')),
      { what: 'a joined process to take the store over', timeoutMs: 30_000 },
    );
    assert.ok(takeover);
    const now = JSON.parse(readFileSync(join(dataDir, 'store.lock.json'), 'utf8')) as {
      port: number;
      pid: number;
    };
    assert.equal(now.port, lock.port, 'the same port, so every connection reconnects');
    assert.notEqual(now.pid, lock.pid);

    // A new api process joins the new host and sees every case; new mail still lands.
    apiPort = await freePort();
    api = start('api', { PORT: String(apiPort) });
    await api.waitForLog(joinedHost, 'the new api process to join');
    await started(api);
    dropMail(6);
    await waitUntil(async () => (await caseNumbers(apiPort)).length === 6, {
      what: 'the sixth case, stored after the takeover',
    });
    const numbers = await caseNumbers(apiPort);
    assert.deepEqual(numbers, [1, 2, 3, 4, 5, 6]);
  });

  test('a directory held by a process that does not answer stops a newcomer, naming POSTROOM_DATA_DIR', async () => {
    const stoppedDir = join(home, 'held');
    const holder = start('api', { POSTROOM_DATA_DIR: stoppedDir, PORT: String(await freePort()) });
    await holder.waitForLog(hosting, 'the holder to host');
    await started(holder);
    holder.child.kill('SIGSTOP');
    try {
      const newcomer = start('api', {
        POSTROOM_DATA_DIR: stoppedDir,
        PORT: String(await freePort()),
      });
      const { code } = await newcomer.exited;
      assert.equal(code, 78);
      assert.match(newcomer.stderr.join(''), /POSTROOM_DATA_DIR/);
      assert.equal(newcomer.lines.filter(hosting).length, 0, 'never opened a second store');
    } finally {
      holder.child.kill('SIGCONT');
    }
  });
});
