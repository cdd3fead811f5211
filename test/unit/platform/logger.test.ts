// Model keys never reach a log line: plain ones in request bodies or configs,
// and sealed ones as agent documents store them.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../../src/platform/logger.ts';

test('provider keys, plain or sealed, are redacted at every depth they travel', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('info', sink);
  logger.info({ provider: { api_key: 'sk-plain-1' } }, 'config');
  logger.info({ body: { provider: { api_key: 'sk-plain-2' } } }, 'request');
  logger.info({ req: { body: { provider: { api_key: 'sk-plain-3' } } } }, 'request');
  logger.info({ agent: { provider: { api_key_sealed: 'v1.sealed-1' } } }, 'agent');
  logger.info({ api_key_sealed: 'v1.sealed-2', apiKey: 'sk-plain-4' }, 'flat');
  const text = lines.join('');
  assert.equal(lines.length, 5);
  assert.doesNotMatch(text, /sk-plain|v1\.sealed/);
  assert.match(text, /\[redacted\]/);
});
