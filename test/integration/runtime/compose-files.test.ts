// Both compose files validate offline with Debian's docker-compose (v1)
// `config -q` (scripts/check-compose.sh installs it with apt-get when
// missing), and the production one keeps its promises: MongoDB as a replica
// set with a healthcheck, Redis with AOF and noeviction, the roles apart with
// healthchecks, and no built-in API key.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

const root = join(import.meta.dirname, '..', '..', '..');

describe('compose files', () => {
  test('docker-compose config -q accepts both', { timeout: 300_000 }, () => {
    const result = spawnSync('bash', [join(root, 'scripts/check-compose.sh')], {
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /docker-compose\.yml is valid/);
    assert.match(result.stdout, /docker-compose\.demo\.yml is valid/);
  });

  test('the production file: replica set, AOF + noeviction, roles with healthchecks, no key', () => {
    const text = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    assert.match(text, /'--replSet',\s*'rs0'/);
    assert.match(text, /replicaSet=rs0/);
    assert.match(text, /'--appendonly',\s*'yes'/);
    assert.match(text, /'--maxmemory-policy',\s*'noeviction'/);
    for (const role of ['api', 'watcher', 'ingest', 'agent', 'delivery', 'maintenance'])
      assert.match(text, new RegExp(`POSTROOM_ROLES: ${role}\\n`), `a ${role} service`);
    assert.equal(text.match(/healthcheck:/g)?.length, 4, 'mongodb, redis, api, and the workers');
    assert.doesNotMatch(text, /pk_quickstart|quickstart\.json/);
    const env = readFileSync(join(root, '.env.example'), 'utf8');
    assert.match(env, /^POSTROOM_ADMIN_API_KEY=$/m, '.env.example holds no key');
  });

  test('scripts/init-env.sh makes .env with fresh keys, prints the API key once, never overwrites', () => {
    const dir = mkdtempSync(join(tmpdir(), 'postroom-init-env-'));
    try {
      cpSync(join(root, '.env.example'), join(dir, '.env.example'));
      cpSync(join(root, 'scripts'), join(dir, 'scripts'), { recursive: true });
      const first = spawnSync('sh', [join(dir, 'scripts/init-env.sh')], { encoding: 'utf8' });
      assert.equal(first.status, 0, first.stderr);
      const key = /^\s+(pk_[0-9a-f]{64})$/m.exec(first.stdout)?.[1];
      assert.ok(key, first.stdout);
      const env = readFileSync(join(dir, '.env'), 'utf8');
      assert.ok(env.includes(`POSTROOM_ADMIN_API_KEY=${key}\n`));
      assert.match(env, /^POSTROOM_SECRET_KEY=[0-9a-f]{64}$/m);
      assert.match(env, /^POSTROOM_URL_SIGNING_KEY=[0-9a-f]{64}$/m);
      const again = spawnSync('sh', [join(dir, 'scripts/init-env.sh')], { encoding: 'utf8' });
      assert.equal(again.status, 1);
      assert.match(again.stderr, /\.env exists already/);
      assert.equal(readFileSync(join(dir, '.env'), 'utf8'), env, 'left as it was');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
