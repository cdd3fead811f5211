// Installing a Debian package whose postinst would start a system-wide daemon
// (dovecot-core does): the tests run their own instances, so a system one would
// only hold ports and outlive the run. A policy-rc.d that exits 101 tells
// invoke-rc.d "do not start"; an existing one (Docker images ship one) is kept.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { ensureInstalled } from './redis.ts';

const policyPath = '/usr/sbin/policy-rc.d';

function commandPath(binary: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  // Non-root shells often lack the sbin directories in PATH.
  for (const dir of ['/usr/sbin', '/usr/local/sbin', '/sbin']) {
    if (existsSync(`${dir}/${binary}`)) return `${dir}/${binary}`;
  }
  return undefined;
}

export function ensureInstalledWithoutStarting(binary: string, debianPackage: string): string {
  const existing = commandPath(binary);
  if (existing) return existing;
  const ownPolicy = !existsSync(policyPath);
  if (ownPolicy) writeFileSync(policyPath, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    ensureInstalled(binary, debianPackage);
  } finally {
    if (ownPolicy) rmSync(policyPath, { force: true });
  }
  const installed = commandPath(binary);
  if (!installed) throw new Error(`${debianPackage} is installed but ${binary} is not on PATH`);
  return installed;
}
