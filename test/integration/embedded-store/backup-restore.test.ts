// The README's backup, restore and move-to-MongoDB steps, run as a user runs
// them: `npm run backup` against a data directory while Postroom writes to it,
// the backup put in place of the data directory, and `npm run copy-store`
// into a MongoDB that Postroom is then started on.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { testMongoUri, testRedisUrl, uniqueName } from '../../support/env.ts';
import { startPostroomProcess, type PostroomProcess } from '../../support/process.ts';
import { dropDatabase, dropRedisPrefix } from '../../support/runtime.ts';
import { freePort, waitUntil } from '../../support/wait.ts';
import { caseNumbers, dropFolderHome } from './drop-folder-home.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const prefix = uniqueName('backup');
const { home, configPath, dropMail } = dropFolderHome('backup', prefix);
const dataDir = join(home, 'data');
const targetUri = testMongoUri(uniqueName('copy'));
const processes: PostroomProcess[] = [];

after(async () => {
  for (const proc of processes) await proc.stop();
  await dropRedisPrefix(prefix);
  await dropDatabase(targetUri);
  rmSync(home, { recursive: true, force: true });
});

async function start(
  env: Record<string, string>,
): Promise<{ proc: PostroomProcess; port: number }> {
  const port = await freePort();
  const proc = startPostroomProcess({
    POSTROOM_CONFIG: configPath,
    REDIS_URL: testRedisUrl(),
    POSTROOM_QUEUE_PREFIX: prefix,
    PORT: String(port),
    ...env,
  });
  processes.push(proc);
  await proc.waitForLog((l) => l.msg === 'postroom started', 'postroom to start');
  return { proc, port };
}

function npmScript(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'scripts', script), ...args],
      {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const stopGracefully = async (proc: PostroomProcess): Promise<void> => {
  proc.child.kill('SIGTERM');
  assert.equal((await proc.exited).code, 0);
};

describe('backup, restore and copy to MongoDB', () => {
  const backup = join(home, 'backup');

  test('a backup taken while Postroom writes restores to a store that works', async () => {
    const { proc, port } = await start({ POSTROOM_DATA_DIR: dataDir });
    for (let n = 1; n <= 3; n++) dropMail(n);
    await waitUntil(async () => (await caseNumbers(port)).length === 3, { what: '3 cases' });
    // More mail arrives while the backup runs.
    for (let n = 4; n <= 10; n++) dropMail(n);
    const result = await npmScript('backup.ts', [backup], { POSTROOM_DATA_DIR: dataDir });
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /backed up/);
    await waitUntil(async () => (await caseNumbers(port)).length === 10, { what: '10 cases' });
    await stopGracefully(proc);

    // Restore: the backup in place of the data directory.
    rmSync(dataDir, { recursive: true });
    renameSync(backup, dataDir);
    const restored = await start({ POSTROOM_DATA_DIR: dataDir });
    const numbers = await caseNumbers(restored.port);
    assert.ok(numbers.length >= 3, `the backup holds the 3 cases stored before it (${numbers})`);
    assert.deepEqual(
      numbers,
      Array.from({ length: numbers.length }, (_, i) => i + 1),
    );
    // The restored store takes new mail, numbered on from what it holds.
    dropMail(11);
    await waitUntil(async () => (await caseNumbers(restored.port)).length === numbers.length + 1, {
      what: 'a new case in the restored store',
    });
    assert.equal((await caseNumbers(restored.port)).at(-1), numbers.length + 1);
    await stopGracefully(restored.proc);
  });

  test('a backup into a folder that is not empty is refused', async () => {
    const full = join(home, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'something'), 'x');
    const result = await npmScript('backup.ts', [full], { POSTROOM_DATA_DIR: dataDir });
    assert.equal(result.code, 1);
    assert.match(result.out, /not empty/);
  });

  test('copy-store moves everything into MongoDB, and Postroom runs on it', async () => {
    const before = await start({ POSTROOM_DATA_DIR: dataDir });
    const expected = await caseNumbers(before.port);
    await stopGracefully(before.proc);

    const result = await npmScript('copy-store.ts', [targetUri], { POSTROOM_DATA_DIR: dataDir });
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /copied \d+ collections, \d+ documents and \d+ indexes/);
    const again = await npmScript('copy-store.ts', [targetUri], { POSTROOM_DATA_DIR: dataDir });
    assert.equal(again.code, 1, 'a second copy into the same database is refused');
    assert.match(again.out, /copy into an empty one/);

    const onMongo = await start({ MONGODB_URI: targetUri });
    assert.deepEqual(await caseNumbers(onMongo.port), expected);
    await stopGracefully(onMongo.proc);
  });
});
