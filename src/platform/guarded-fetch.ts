// A fetch() whose every connection goes through an AddressGuard: built on
// node:http so the guard's lookup decides the address each socket connects to
// (Node's global fetch offers no such hook without the undici package).
// Redirects are followed here, hop by hop, each hop a request through the
// same guard; credentials are not carried to another origin (as fetch does).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { Readable, pipeline } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { bareAddress } from './address-class.ts';
import type { AddressGuard } from './outbound-guard.ts';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface GuardedFetch {
  fetch: FetchLike;
  /** Close the kept-alive connections (at shutdown). */
  close(): void;
}

// Browsers follow 20; an API answering with more than a handful is misconfigured.
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export function createGuardedFetch(guard: AddressGuard): GuardedFetch {
  // Agents of their own: a pooled socket was checked when it connected, and
  // is never shared with requests that a different policy governs.
  const agents = {
    http: new HttpAgent({ keepAlive: true, lookup: guard.lookup }),
    https: new HttpsAgent({ keepAlive: true, lookup: guard.lookup }),
  };

  async function guardedFetch(
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> {
    // Request normalizes every form of headers and body fetch() accepts.
    const request = new Request(input, init);
    const headers = new Headers(request.headers);
    let body = request.body ? Buffer.from(await request.arrayBuffer()) : null;
    let method = request.method;
    let url = new URL(request.url);
    for (let hop = 0; ; hop++) {
      const response = await send(url, method, headers, body, request.signal);
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || location === null || request.redirect === 'manual') {
        return response;
      }
      await response.body?.cancel();
      if (request.redirect === 'error') throw new TypeError(`redirected to ${location}`);
      if (hop >= MAX_REDIRECTS) throw new TypeError(`more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new TypeError(`redirected to a ${next.protocol} URL`);
      }
      // As fetch: 303 (and 301/302 after a POST) continue as a GET without a body.
      if (
        (response.status === 303 && method !== 'HEAD') ||
        ((response.status === 301 || response.status === 302) && method === 'POST')
      ) {
        method = 'GET';
        body = null;
        for (const name of ['content-type', 'content-length', 'content-encoding']) {
          headers.delete(name);
        }
      }
      if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
      url = next;
    }
  }

  function send(
    url: URL,
    method: string,
    headers: Headers,
    body: Buffer | null,
    signal: AbortSignal,
  ): Promise<Response> {
    // An IP-literal host is never looked up: check it before any socket exists.
    const host = bareAddress(url.hostname);
    if (isIP(host)) {
      const refused = guard.refusal(host, host);
      if (refused) return Promise.reject(refused);
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    const outgoing: Record<string, string> = {};
    headers.forEach((value, name) => (outgoing[name] = value));
    if (body) outgoing['content-length'] = String(body.length);
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        { method, headers: outgoing, agent: secure ? agents.https : agents.http },
        (res) => {
          signal.removeEventListener('abort', onAbort);
          signal.addEventListener('abort', () => res.destroy(signal.reason), { once: true });
          resolve(toResponse(res, method, url));
        },
      );
      const onAbort = (): void => {
        req.destroy(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error) => reject(signal.aborted ? signal.reason : error));
      req.on('socket', (socket: Socket) => {
        // Belt and braces: the address connected to is the one the guard passed.
        if (!socket.connecting) return;
        socket.once('connect', () => {
          const refused = socket.remoteAddress ? guard.refusal(host, socket.remoteAddress) : null;
          if (refused) socket.destroy(refused);
        });
      });
      req.end(body ?? undefined);
    });
  }

  return {
    fetch: guardedFetch,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function toResponse(res: IncomingMessage, method: string, url: URL): Response {
  const status = res.statusCode ?? 502;
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    headers.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '');
  }
  const empty = method === 'HEAD' || status === 204 || status === 304;
  let stream: Readable = res;
  if (!empty) {
    // fetch() hands out the decoded body; so does this.
    const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
    const decoder =
      encoding === 'gzip' || encoding === 'x-gzip'
        ? createGunzip()
        : encoding === 'deflate'
          ? createInflate()
          : encoding === 'br'
            ? createBrotliDecompress()
            : null;
    if (decoder) stream = pipeline(res, decoder, () => {});
  } else {
    res.resume();
  }
  const response = new Response(
    empty ? null : (Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>),
    { status, statusText: res.statusMessage ?? '', headers },
  );
  Object.defineProperty(response, 'url', { value: url.href });
  return response;
}
