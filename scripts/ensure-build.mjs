// Compile src/ and workers/ into dist/ when dist/ is missing or older than the
// sources, so `npm start` always runs the code in the checkout (production
// runs the compiled build: it starts faster and uses less memory than tsx).
// Plain JavaScript, so it runs before anything is compiled. `--force`
// rebuilds whatever the times say (`npm run build`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const stamp = join(root, 'dist', '.build-stamp');

/** The newest modification time under `path` (a file or a folder). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs; // a deleted file changes its folder's time
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

const inputs = ['src', 'workers', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const sourcesChanged = Math.max(...inputs.map((input) => newest(join(root, input))));
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;

const forced = process.argv.includes('--force');

if (forced || built < sourcesChanged) {
  console.error('postroom: compiling src/ and workers/ into dist/ (npm run build)');
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error('postroom: the build failed; see the compiler output above');
    process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}
