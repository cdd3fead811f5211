// GET /openapi.json against the api role's real app: every route fastify
// registered under /v1 is in the document with its method, and the request
// schemas it states are the ones validation enforces (a field the document
// marks required is refused with 400 when missing, an unknown field when the
// document forbids extra ones).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApiApp } from '../../../src/runtime/api-role.ts';
import { WORKFLOW_STATUSES } from '../../../src/store/index.ts';
import { TEST_API_KEY, type TestRuntime } from '../../support/runtime.ts';
import { createCase, startAgentsRuntime, stopRuntime } from '../api-agents/helpers.ts';

type Schema = {
  type?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  enum?: string[];
  minimum?: number;
};
type Operation = {
  'x-permission': string;
  security?: unknown[];
  parameters: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: { required: boolean; content: { 'application/json': { schema: Schema } } };
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

let runtime: TestRuntime;
let app: FastifyInstance;
let document: Document;
let ids: Record<string, string>;

const TREE = /^([│├└─\s]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/;

/** `METHOD /path` of every route fastify holds, walked from printRoutes() (HEAD is fastify's own). */
function registeredRoutes(instance: FastifyInstance): string[] {
  const stack: Array<{ depth: number; path: string }> = [];
  const routes: string[] = [];
  for (const line of instance.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = TREE.exec(line);
    if (!match?.[2]) continue;
    const depth = match[1]?.length ?? 0;
    while (stack.length > 0 && (stack.at(-1)?.depth ?? 0) >= depth) stack.pop();
    const path = `${stack.at(-1)?.path ?? ''}${match[2]}`;
    stack.push({ depth, path });
    for (const method of match[3]?.split(', ') ?? []) {
      if (method !== 'HEAD') routes.push(`${method} ${path}`);
    }
  }
  return routes;
}

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** A path of the document with real ids, so a route reaches its validation, not a 404. */
function concrete(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, (_all, name: string) => {
    if (path.startsWith('/v1/messaging/messages/') && name === 'id') return ids.message ?? 'x';
    return ids[name] ?? 'x';
  });
}

async function send(method: string, path: string, payload: unknown) {
  return app.inject({
    method: method.toUpperCase() as 'POST',
    url: concrete(path),
    headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  });
}

function bodyOperations(): Array<[string, string, Schema]> {
  const found: Array<[string, string, Schema]> = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const schema = operation.requestBody?.content['application/json'].schema;
      if (schema) found.push([method, path, schema]);
    }
  }
  return found;
}

describe('GET /openapi.json', () => {
  before(async () => {
    runtime = await startAgentsRuntime();
    // The very app the api role serves, built again over the same context to walk its routes.
    app = await buildApiApp(runtime.context);
    const conversation = await createCase(runtime.context.store);
    const created = await runtime.request(
      `/v1/messaging/conversations/${conversation._id}/messages`,
      {
        method: 'POST',
        body: JSON.stringify({
          body: 'A note for the probe',
          visibility: 'internal',
          channel: 'message',
        }),
      },
    );
    assert.equal(created.status, 201, await created.clone().text());
    const message = (await created.json()) as { id: string };
    ids = { id: conversation._id, message: message.id, participant_id: 'x' };
    const response = await fetch(`${runtime.api}/openapi.json`);
    assert.equal(response.status, 200, 'served without an API key');
    document = (await response.json()) as Document;
  });
  after(async () => {
    await app?.close();
    await stopRuntime(runtime);
  });

  test('is OpenAPI 3.1 and lists every /v1 route fastify registered, with its method', () => {
    assert.equal(document.openapi, '3.1.0');
    const routes = registeredRoutes(app).filter((route) => route.split(' ')[1]?.startsWith('/v1/'));
    assert.ok(routes.length >= 40, `walked ${routes.length} routes: ${routes.join(', ')}`);
    const missing = routes.filter((route) => {
      const [method = '', path = ''] = route.split(' ');
      return !document.paths[openApiPath(path)]?.[method.toLowerCase()];
    });
    assert.deepEqual(missing, [], 'routes missing from the document');
    const described = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.equal(described.length, routes.length, 'nothing described that is not served');
  });

  test('each operation names its permission; only the signed download and sign-in are open', () => {
    const open: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        assert.ok(operation['x-permission'], `${method} ${path} has a permission`);
        if (operation.security?.length === 0) open.push(`${method} ${path}`);
        const pathNames = operation.parameters.filter((p) => p.in === 'path').map((p) => p.name);
        const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        assert.deepEqual(pathNames, inPath, `${method} ${path} path parameters`);
      }
    }
    assert.deepEqual(open.sort(), [
      'get /v1/messaging/attachments/{id}/download',
      'post /v1/sessions',
    ]);
    const list = document.paths['/v1/messaging/conversations']?.get;
    assert.equal(list?.['x-permission'], 'messaging:read');
    const queryNames = list?.parameters.filter((p) => p.in === 'query').map((p) => p.name);
    assert.ok(queryNames?.includes('workflow_status') && queryNames.includes('limit'));
  });

  test('a field the document marks required is refused with 400 when missing', async () => {
    const checked: string[] = [];
    for (const [method, path, schema] of bodyOperations()) {
      if (!schema.required?.length) continue;
      const response = await send(method, path, {});
      assert.equal(response.statusCode, 400, `${method} ${path} {}: ${response.body}`);
      const { error } = response.json() as { error: { message: string } };
      const named = schema.required.some((field) => error.message.startsWith(`body.${field}:`));
      assert.ok(named, `${method} ${path}: "${error.message}" names one of ${schema.required}`);
      checked.push(`${method} ${path}`);
    }
    assert.ok(checked.includes('post /v1/messaging/conversations/{id}/actions/set-status'));
    assert.ok(checked.includes('post /v1/messaging/conversations/{id}/messages'));
  });

  test('where the document forbids extra fields, an unknown field is refused with 400', async () => {
    let checked = 0;
    for (const [method, path, schema] of bodyOperations()) {
      // With a required field missing, zod names that first (the test above checks it).
      if (schema.additionalProperties !== false || schema.required?.length) continue;
      const response = await send(method, path, { openapi_probe: true });
      assert.equal(response.statusCode, 400, `${method} ${path}: ${response.body}`);
      assert.match(response.body, /openapi_probe/, `${method} ${path} names the field`);
      checked += 1;
    }
    assert.ok(checked >= 10, `${checked} strict bodies`);
  });

  test('enums and bounds in the document are what validation holds to', async () => {
    const setStatus =
      document.paths['/v1/messaging/conversations/{id}/actions/set-status']?.post?.requestBody;
    const status = setStatus?.content['application/json'].schema;
    assert.equal(setStatus?.required, true);
    assert.deepEqual(status?.required, ['workflow_status']);
    assert.deepEqual(status?.properties?.workflow_status?.enum, [...WORKFLOW_STATUSES]);
    const refused = await send('post', '/v1/messaging/conversations/{id}/actions/set-status', {
      workflow_status: 'not_a_status',
    });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.match(refused.json().error.message, /^body\.workflow_status:/);

    const markRead =
      document.paths['/v1/messaging/conversations/{id}/actions/mark-read']?.post?.requestBody;
    const upTo = markRead?.content['application/json'].schema.properties?.up_to_sequence;
    assert.equal(markRead?.required, false, 'every field is optional');
    assert.equal(upTo?.type, 'integer');
    assert.equal(upTo?.minimum, 0);
    const negative = await send('post', '/v1/messaging/conversations/{id}/actions/mark-read', {
      up_to_sequence: -1,
    });
    assert.equal(negative.statusCode, 400, negative.body);
    const accepted = await send('post', '/v1/messaging/conversations/{id}/actions/mark-read', {});
    assert.equal(accepted.statusCode, 200, accepted.body);
  });
});
