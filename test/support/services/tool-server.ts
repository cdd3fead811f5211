// A local HTTP server standing in for a team's tool APIs (order lookup,
// refunds): each path answers with a handler the test sets, and every request
// is recorded with its method, query, headers and JSON body.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntil } from '../wait.ts';

interface RecordedToolRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type ToolAnswer =
  | { status: number; json: unknown }
  /** Never answers until the client gives up (a timeout). */
  | { hang: true };

export interface ToolTestServer {
  url: string;
  requests: RecordedToolRequest[];
  on(path: string, answer: (request: RecordedToolRequest) => ToolAnswer): void;
  waitForRequests(count: number): Promise<RecordedToolRequest[]>;
  stop(): Promise<void>;
}

export async function startToolServer(): Promise<ToolTestServer> {
  const requests: RecordedToolRequest[] = [];
  const handlers = new Map<string, (request: RecordedToolRequest) => ToolAnswer>();
  const hanging = new Set<ServerResponse>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const text = Buffer.concat(parts).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const record: RecordedToolRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
    requests.push(record);
    const answer = handlers.get(url.pathname)?.(record) ?? {
      status: 404,
      json: { error: `no tool at ${url.pathname}` },
    };
    if ('hang' in answer) {
      hanging.add(res);
      res.once('close', () => hanging.delete(res));
      return;
    }
    const body = JSON.stringify(answer.json);
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on(path, answer) {
      handlers.set(path, answer);
    },
    async waitForRequests(count) {
      await waitUntil(() => requests.length >= count, {
        what: `${count} request(s) at the tool server`,
      });
      return requests.slice(0, count);
    },
    async stop() {
      for (const res of hanging) res.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
