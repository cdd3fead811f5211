// Redis for the suite: the machine's server on 127.0.0.1:6379 when it answers
// (tests isolate themselves by key prefix and clean up), else a private
// redis-server on a free port, installed from Debian's packages when missing.
import { spawn, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, waitUntil } from '../wait.ts';

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function ensureInstalled(binary: string, debianPackage: string): void {
  if (spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0) return;
  console.log(`installing ${debianPackage} with apt-get (the tests need ${binary})`);
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  const install = spawnSync(
    'apt-get',
    ['install', '-y', '-qq', '--no-install-recommends', debianPackage],
    {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    },
  );
  if (update.status !== 0 || install.status !== 0) {
    throw new Error(
      `could not install ${debianPackage}: run "apt-get install ${debianPackage}" as root`,
    );
  }
}

export { ensureInstalled };

export async function ensureRedis(
  scratchDir: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const shared = process.env.POSTROOM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await answers(shared)) return { url: shared, stop: async () => undefined };

  ensureInstalled('redis-server', 'redis-server');
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      scratchDir,
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  await waitUntil(() => answers(url), { timeoutMs: 15_000, what: 'redis-server to answer' });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
