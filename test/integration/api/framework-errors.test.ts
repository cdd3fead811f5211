// Errors produced before a route runs (the router, the body parsers, Node's
// HTTP parser) answer in the API's error shape, through a real listening
// server: inject() skips the HTTP parser, where 431 and malformed requests
// are refused. Requests are written to a raw socket, so they can be malformed.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createCase, openApi, type ApiHarness } from './helpers.ts';

let api: ApiHarness;
let port: number;
const AUTH = 'Authorization: Bearer pk_acme_writer_00000001';

before(async () => {
  api = await openApi('api-framework-errors');
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const address = api.app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
after(() => api.close());

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes `request` as is and reads the answer until the server closes or it is complete. */
function send(request: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const finish = (): void => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) {
        reject(new Error(`no HTTP response: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: text.slice(split + 4) });
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, split));
      if (split >= 0 && length && Buffer.byteLength(text.slice(split + 4)) >= Number(length[1])) {
        socket.destroy();
        finish();
      }
    });
    socket.on('close', () => (chunks.length ? finish() : reject(new Error('closed silently'))));
    socket.on('error', () => undefined);
    socket.write(request);
  });
}

function request(method: string, path: string, headers: string[] = [], body = ''): string {
  return [`${method} ${path} HTTP/1.1`, 'Host: localhost', AUTH, ...headers, '', body].join('\r\n');
}

/** The body is exactly {"error": {type, code, message}}, with the type's status. */
function assertShape(res: RawResponse, status: number, type: string, code: string): string {
  assert.equal(res.status, status, res.body);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/);
  assert.ok(res.headers['x-request-id'], 'every answer carries a request id');
  const body = JSON.parse(res.body) as { error: Record<string, unknown> };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'type']);
  assert.equal(body.error.type, type);
  assert.equal(body.error.code, code);
  return String(body.error.message);
}

describe('framework errors in the API shape', () => {
  test('an 8,000-character id is a 414 that does not echo the id', async () => {
    const res = await send(request('GET', `/v1/messaging/messages/${'a'.repeat(8_000)}`));
    const message = assertShape(res, 414, 'uri_too_long', 'path_parameter_too_long');
    assert.equal(message, 'a path parameter is longer than 100 characters (no id is that long)');
  });

  test('an id of invalid percent-encoding (%ff%fe) is a 400', async () => {
    const res = await send(request('GET', '/v1/messaging/messages/%ff%fe'));
    const message = assertShape(res, 400, 'invalid_request', 'invalid_url');
    assert.equal(message, 'the request path is not valid percent-encoded UTF-8');
  });

  test('a 60 KB header is a 431 written by the server itself, then the connection closes', async () => {
    const res = await send(
      request('GET', '/v1/messaging/conversations', [`X-Big: ${'a'.repeat(60_000)}`]),
    );
    const message = assertShape(res, 431, 'headers_too_large', 'headers_too_large');
    assert.equal(message, 'the request line and headers exceed 16384 bytes');
    assert.equal(res.headers.connection, 'close');
  });

  test('requests the HTTP parser refuses are 400 malformed_request', async () => {
    const malformed: Record<string, string | Buffer> = {
      'an invalid Content-Length': request(
        'POST',
        '/v1/messaging/conversations/x/actions/set-status',
        ['Content-Type: application/json', 'Content-Length: abc'],
        '{}',
      ),
      'Content-Length with Transfer-Encoding': request(
        'POST',
        '/v1/messaging/conversations/x/actions/set-status',
        ['Content-Type: application/json', 'Content-Length: 2', 'Transfer-Encoding: chunked'],
        '{}',
      ),
      'a raw NUL byte in the path': Buffer.concat([
        Buffer.from('GET /v1/messaging/messages/a'),
        Buffer.from([0]),
        Buffer.from(request('GET', 'b').slice('GET '.length)),
      ]),
      'an unknown method': request('FROB', '/v1/messaging/conversations'),
    };
    for (const [what, raw] of Object.entries(malformed)) {
      const res = await send(raw);
      const message = assertShape(res, 400, 'invalid_request', 'malformed_request');
      assert.match(message, /^the request is not valid HTTP\/1\.1 \(HPE_[A-Z_]+\)$/, what);
    }
  });

  test('a percent-encoded NUL in an id is just an unknown id', async () => {
    const res = await send(request('GET', '/v1/messaging/messages/a%00b'));
    assertShape(res, 404, 'not_found', 'resource_not_found');
  });

  test('a wrong method is a 404 naming the method and path', async () => {
    const res = await send(request('DELETE', '/v1/messaging/messages/msg_1'));
    const message = assertShape(res, 404, 'not_found', 'route_not_found');
    assert.equal(message, 'no route DELETE /v1/messaging/messages/msg_1');
  });

  test('bodies that are not plain JSON are refused, not parsed as something else', async () => {
    const conv = await createCase(api.store);
    const path = `/v1/messaging/conversations/${conv._id}/actions/set-status`;
    const text = await send(
      request('POST', path, ['Content-Type: text/plain', 'Content-Length: 4'], 'open'),
    );
    assertShape(text, 400, 'invalid_request', 'unsupported_media_type');
    const json = '{"workflow_status":"open"}';
    const gzip = await send(
      request(
        'POST',
        path,
        [
          'Content-Type: application/json',
          'Content-Encoding: gzip',
          `Content-Length: ${json.length}`,
        ],
        json,
      ),
    );
    assertShape(gzip, 400, 'invalid_request', 'unsupported_content_encoding');
    const empty = await send(
      request('POST', path, ['Content-Type: application/json', 'Content-Length: 0']),
    );
    const message = assertShape(empty, 400, 'invalid_request', 'invalid_parameter');
    assert.match(message, /^body\.workflow_status: /);
    const stored = await api.store.conversations.get(conv.account_id, conv._id);
    assert.equal(stored?.workflow_status, 'new', 'none of them ran');
  });
});
