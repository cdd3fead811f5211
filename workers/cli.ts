// The `postroom` command line (package.json bin: bin/postroom.mjs).
import { runCli } from '../src/cli/main.ts';

// Every connection is closed by then; exit anyway, so a socket a server left
// half-open cannot keep a finished command waiting.
process.exit(await runCli(process.argv.slice(2)));
