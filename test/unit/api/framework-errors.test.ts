// The HTTP parser's refusals as API errors (the ones a test cannot provoke
// quickly through a socket, a request timeout, included).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientErrorOf } from '../../../src/api/framework-errors.ts';

const parserError = (code: string): Error & { code: string } =>
  Object.assign(new Error('Parse Error'), { code });

describe('client errors', () => {
  test("each keeps Node's status and gets a stable code", () => {
    const cases: Array<[string, number, string]> = [
      ['HPE_HEADER_OVERFLOW', 431, 'headers_too_large'],
      ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'request_timeout'],
      ['HPE_INVALID_METHOD', 400, 'malformed_request'],
    ];
    for (const [code, status, apiCode] of cases) {
      const error = clientErrorOf(parserError(code));
      assert.equal(error.status, status, code);
      assert.equal(error.code, apiCode, code);
    }
    assert.equal(
      clientErrorOf(parserError('HPE_INVALID_URL')).message,
      'the request is not valid HTTP/1.1 (HPE_INVALID_URL)',
    );
  });
});
