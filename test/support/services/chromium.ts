// The browser tests drive Debian's chromium with playwright-core: nothing
// downloads a browser build. Installed with apt-get when missing, as Dovecot is.
import { spawnSync } from 'node:child_process';
import { ensureInstalled } from './redis.ts';

export function ensureChromium(): string {
  ensureInstalled('chromium', 'chromium');
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) throw new Error('chromium is installed but not on PATH');
  return path;
}
