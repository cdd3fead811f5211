// A node:test reporter that counts leaf tests, and times each test file, and
// writes the totals where the test command (test/run.ts) can read them, so the
// last line it prints is the plain `N passed, N failed` that CI reads, after
// every service has stopped.
import { writeFileSync } from 'node:fs';

export default async function* summaryReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  const files = [];
  for await (const event of source) {
    // Each file runs in its own process; its end is reported as a test named by
    // its path, timed from the process's start (imports included).
    if (event.type === 'test:complete' && event.data.file && event.data.name === event.data.file) {
      files.push({ file: event.data.file, ms: event.data.details?.duration_ms ?? 0 });
      continue;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    // Suites report too; count only tests (leaves), as `N passed` means tests.
    if (event.data.details?.type === 'suite') continue;
    if (event.type === 'test:pass') {
      if (event.data.skip || event.data.todo) skipped += 1;
      else passed += 1;
    } else {
      failed += 1;
      failures.push(`${event.data.file ?? ''} › ${event.data.name}`);
    }
  }
  const out = process.env.POSTROOM_TEST_SUMMARY;
  if (out) writeFileSync(out, JSON.stringify({ passed, failed, skipped, failures, files }));
  yield '';
}
