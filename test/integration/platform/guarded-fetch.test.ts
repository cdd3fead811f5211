// The guarded fetch against real listeners on this machine. The resolver is
// injected, so "allowed.test" and "rebind.test" both resolve to 127.0.0.1
// and only the allow-list (which names allowed.test) tells them apart: a
// refusal is shown to happen before any connection by the target listener
// never seeing one, and a positive control shows the same target is
// reachable when allowed.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseOutboundAllow } from '../../../src/config/outbound-allow.ts';
import { createGuardedFetch, type GuardedFetch } from '../../../src/platform/guarded-fetch.ts';
import {
  OutboundRefusedError,
  createAddressGuard,
  type Resolver,
} from '../../../src/platform/outbound-guard.ts';

interface Listener {
  server: Server;
  port: number;
  connections: number;
  requests: Array<{
    method: string;
    url: string;
    headers: IncomingMessage['headers'];
    body: string;
  }>;
  /** How the next requests are answered (default: 200 "ok from <port>"). */
  answer: (req: IncomingMessage, res: ServerResponse) => void;
}

async function listen(host: string): Promise<Listener> {
  const listener: Listener = {
    server: createServer(),
    port: 0,
    connections: 0,
    requests: [],
    answer: (_req, res) => res.end(`ok from ${listener.port}`),
  };
  listener.server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    listener.requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(parts).toString('utf8'),
    });
    listener.answer(req, res);
  });
  listener.server.on('connection', () => (listener.connections += 1));
  await new Promise<void>((resolve) => listener.server.listen(0, host, resolve));
  listener.port = (listener.server.address() as AddressInfo).port;
  return listener;
}

const LOOPBACK: LookupAddress[] = [{ address: '127.0.0.1', family: 4 }];
let rebindAnswers: LookupAddress[][] = [];
const resolver: Resolver = async (host) => {
  if (host === 'allowed.test' || host === 'rebind.test') return LOOPBACK;
  if (host === 'flip.test') return rebindAnswers.shift() ?? LOOPBACK;
  throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

let first: Listener;
let second: Listener;
let v6: Listener;
let guarded: GuardedFetch;

before(async () => {
  [first, second, v6] = await Promise.all([
    listen('127.0.0.1'),
    listen('127.0.0.1'),
    listen('::1'),
  ]);
  guarded = createGuardedFetch(createAddressGuard(parseOutboundAllow('allowed.test'), resolver));
});

after(async () => {
  guarded.close();
  for (const { server } of [first, second, v6]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

beforeEach(() => {
  for (const listener of [first, second, v6]) {
    listener.requests.length = 0;
    listener.connections = 0;
    listener.answer = (_req, res) => res.end(`ok from ${listener.port}`);
  }
});

function redirectTo(listener: Listener, location: string, status = 302): void {
  listener.answer = (_req, res) => {
    res.writeHead(status, { location });
    res.end();
  };
}

async function refused(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof OutboundRefusedError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

describe('guarded fetch', () => {
  test('an allowed host: method, headers and body go out; the body comes back decoded', async () => {
    first.answer = (_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync('{"ok":true}'));
    };
    const response = await guarded.fetch(`http://allowed.test:${first.port}/v1/things?x=1`, {
      method: 'POST',
      headers: { authorization: 'Bearer own-key', 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(await response.json(), { ok: true });
    const [request] = first.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, '/v1/things?x=1');
    assert.equal(request?.headers.authorization, 'Bearer own-key');
    assert.equal(request?.headers.host, `allowed.test:${first.port}`);
    assert.equal(request?.body, '{"hello":"world"}');
  });

  test('a host resolving to loopback, and loopback literals, are refused before connecting', async () => {
    await refused(
      guarded.fetch(`http://rebind.test:${second.port}/`),
      /^rebind\.test resolves to 127\.0\.0\.1, a loopback address/,
    );
    await refused(guarded.fetch(`http://127.0.0.1:${second.port}/`), /^127\.0\.0\.1 is a loopback/);
    await refused(guarded.fetch(`http://[::ffff:127.0.0.1]:${second.port}/`), /loopback/);
    await refused(guarded.fetch(`http://[::1]:${v6.port}/`), /^::1 is a loopback/);
    assert.equal(second.connections, 0);
    assert.equal(v6.connections, 0);
  });

  test('a redirect from an allowed server to a refused one is refused before connecting', async () => {
    for (const location of [
      `http://rebind.test:${second.port}/next`,
      `http://127.0.0.1:${second.port}/next`,
      `http://[::1]:${v6.port}/next`,
    ]) {
      redirectTo(first, location, 307);
      await refused(
        guarded.fetch(`http://allowed.test:${first.port}/start`, { method: 'POST', body: 'x' }),
        /loopback/,
      );
    }
    assert.equal(first.requests.length, 3);
    assert.equal(second.connections, 0);
    assert.equal(v6.connections, 0);

    // The control: the same listener, named by an allowed host, is reached.
    redirectTo(first, `http://allowed.test:${second.port}/next`);
    const response = await guarded.fetch(`http://allowed.test:${first.port}/start`);
    assert.equal(await response.text(), `ok from ${second.port}`);
    assert.equal(second.requests[0]?.url, '/next');
  });

  test('DNS rebinding: a name that resolved to a public address now resolving to loopback is refused at connect', async () => {
    const guard = createAddressGuard(parseOutboundAllow(''), resolver);
    rebindAnswers = [[{ address: '93.184.216.34', family: 4 }], LOOPBACK];
    await guard.checkUrl(`http://flip.test:${second.port}/`);
    const own = createGuardedFetch(guard);
    try {
      await refused(
        own.fetch(`http://flip.test:${second.port}/`),
        /^flip\.test resolves to 127\.0\.0\.1/,
      );
      assert.equal(second.connections, 0);
    } finally {
      own.close();
    }
  });

  test('credentials stay with their origin across redirects; 303 turns a POST into a GET', async () => {
    first.answer = (req, res) => {
      if (req.url === '/start') {
        res.writeHead(302, { location: '/same' });
        return res.end();
      }
      res.end('same origin');
    };
    await (
      await guarded.fetch(`http://allowed.test:${first.port}/start`, {
        headers: { authorization: 'Bearer k' },
      })
    ).text();
    assert.deepEqual(
      first.requests.map((r) => r.headers.authorization),
      ['Bearer k', 'Bearer k'],
    );

    redirectTo(first, `http://allowed.test:${second.port}/other`, 303);
    const response = await guarded.fetch(`http://allowed.test:${first.port}/start`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', cookie: 'a=b', 'content-type': 'text/plain' },
      body: 'payload',
    });
    assert.equal(response.status, 200);
    const [hop] = second.requests;
    assert.equal(hop?.method, 'GET');
    assert.equal(hop?.body, '');
    assert.equal(hop?.headers.authorization, undefined);
    assert.equal(hop?.headers.cookie, undefined);
    assert.equal(hop?.headers['content-type'], undefined);
  });

  test('redirect: manual hands back the redirect; a loop ends with an error', async () => {
    redirectTo(first, '/again');
    const manual = await guarded.fetch(`http://allowed.test:${first.port}/`, {
      redirect: 'manual',
    });
    assert.equal(manual.status, 302);
    assert.equal(manual.headers.get('location'), '/again');
    await assert.rejects(
      guarded.fetch(`http://allowed.test:${first.port}/`),
      /more than 5 redirects/,
    );
  });

  test('an abort signal ends the request with the abort reason', async () => {
    first.answer = (_req, res) => {
      res.writeHead(200);
      res.write('partial');
    };
    const controller = new AbortController();
    const response = await guarded.fetch(`http://allowed.test:${first.port}/`, {
      signal: controller.signal,
    });
    const reader = response.body?.getReader();
    assert.ok(reader);
    const chunk = await reader.read();
    assert.equal(Buffer.from(chunk.value ?? []).toString(), 'partial');
    controller.abort();
    await assert.rejects(reader.read(), { name: 'AbortError' });
    await assert.rejects(
      guarded.fetch(`http://allowed.test:${first.port}/`, { signal: controller.signal }),
      { name: 'AbortError' },
    );
  });
});
