#!/usr/bin/env node
// The `postroom` command (package.json bin). It runs the compiled build
// (dist/, as the Docker image has it, made by `npm run build`) and falls back
// to the sources through tsx in a checkout that was never built.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/workers/cli.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../workers/cli.ts', import.meta.url).href);
}
