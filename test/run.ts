// The test command (`npm test`): start the services the suite needs, run every
// test file with node's test runner, stop the services, print the ten slowest
// files, and print the plain `N passed, N failed` line last. Arguments narrow
// the run to files whose path contains any of them (`npm test -- conformance`).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startTestServices } from './support/services/index.ts';

const root = join(import.meta.dirname, '..');
const filters = process.argv.slice(2);

function findTestFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== 'fixtures' && entry !== 'node_modules') found.push(...findTestFiles(path));
    } else if (entry.endsWith('.test.ts')) {
      found.push(path);
    }
  }
  return found.sort();
}

const files = findTestFiles(join(root, 'test')).filter(
  (file) => filters.length === 0 || filters.some((f) => relative(root, file).includes(f)),
);
if (files.length === 0) {
  console.log(`no test files match ${filters.join(' ')}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), 'postroom-test-'));
const summaryPath = join(scratch, 'summary.json');
const services = await startTestServices(scratch, {
  browser: files.some((file) => relative(root, file).startsWith('test/browser/')),
});

let exitCode: number;
try {
  exitCode = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        // Two cores: one test file per core keeps timing-sensitive services responsive.
        '--test-concurrency=2',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        `--test-reporter=${join(root, 'test/support/summary-reporter.mjs')}`,
        '--test-reporter-destination=stdout',
        ...files,
      ],
      {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, ...services.env, POSTROOM_TEST_SUMMARY: summaryPath },
      },
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
} finally {
  await services.stop();
}

let summary = {
  passed: 0,
  failed: 1,
  skipped: 0,
  failures: [] as string[],
  files: [] as { file: string; ms: number }[],
};
try {
  summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as typeof summary;
} catch {
  console.log('the test runner wrote no summary: counting the run as failed');
}
rmSync(scratch, { recursive: true, force: true });
if (summary.failures.length > 0) {
  console.log('\nFailed tests:');
  for (const failure of summary.failures) console.log(`  ${relative(root, failure)}`);
}
const slowest = [...summary.files].sort((a, b) => b.ms - a.ms).slice(0, 10);
if (slowest.length > 0) {
  // Where the suite's time goes: the files to look at first when it grows slow.
  console.log('\nSlowest test files:');
  for (const { file, ms } of slowest)
    console.log(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${relative(root, file)}`);
}
const failed = summary.failed + (exitCode !== 0 && summary.failed === 0 ? 1 : 0);
console.log(
  `${summary.passed} passed, ${failed} failed${summary.skipped ? `, ${summary.skipped} skipped` : ''}`,
);
process.exit(failed > 0 ? 1 : 0);
