// The containers' healthcheck (the slim image has no curl): exit 0 when the
// URL answers 2xx within 4 s, 1 otherwise.
//   node scripts/healthcheck.mjs http://127.0.0.1:8080/healthz
const url = process.argv[2];
if (!url) {
  console.error('usage: node scripts/healthcheck.mjs <url>');
  process.exit(2);
}
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`healthcheck: ${url}: ${error.cause?.message ?? error.message}`);
  process.exit(1);
}
