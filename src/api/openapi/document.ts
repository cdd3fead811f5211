// The OpenAPI 3.1 document of the routes an app has registered, generated
// from their declarations (registry.ts): request bodies and query strings are
// zod 4's own JSON Schema of the schemas that validate them.
import { z } from 'zod';
import { describedRoutes, routeKey, type RouteDoc } from './registry.ts';

type JsonSchema = Record<string, unknown>;

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['type', 'code', 'message'],
      properties: {
        type: { type: 'string' },
        code: { type: 'string' },
        message: { type: 'string' },
      },
    },
  },
};

/** The JSON Schema of what a request may send (`io: input`: defaults make a field optional). */
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  // Refinements and transforms have no JSON Schema: the document states the
  // shape and the handler's 400 names what a refinement refused.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

const PATH_PARAM = /:([A-Za-z0-9_]+)/g;

function openApiPath(path: string): string {
  return path.replace(PATH_PARAM, '{$1}');
}

function pathParameters(path: string): JsonSchema[] {
  return [...path.matchAll(PATH_PARAM)].map((match) => ({
    name: match[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
}

function queryParameters(query: RouteDoc['query']): JsonSchema[] {
  if (query === undefined) return [];
  if (Array.isArray(query)) {
    // Hand-checked names (query.ts): a repeated name (`include[]=a&include[]=b`) arrives as a list.
    return query.map((name: string) => ({
      name,
      in: 'query',
      required: false,
      schema: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    }));
  }
  const schema = jsonSchemaOf(query as z.ZodType);
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
  }));
}

function requestBody(body: z.ZodType): JsonSchema {
  const schema = jsonSchemaOf(body);
  // An empty body counts as `{}` (app.ts), so a body is required only when a field is.
  const required = Array.isArray(schema.required) && schema.required.length > 0;
  return { required, content: { 'application/json': { schema } } };
}

function operation(doc: RouteDoc): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, description] of Object.entries(doc.responses)) {
    responses[status] = { description };
  }
  responses.default = {
    description: 'An error: 4xx for a bad request, 5xx when Postroom failed',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  return {
    summary: doc.summary,
    operationId: routeKey(doc.method, doc.path).replace(/[^A-Za-z0-9]+/g, '_'),
    ...(doc.permission === 'public' ? { security: [] } : {}),
    ...(doc.permission === 'session' ? { security: [{ session: [] }] } : {}),
    'x-permission': doc.permission,
    parameters: [...pathParameters(doc.path), ...queryParameters(doc.query)],
    ...(doc.body ? { requestBody: requestBody(doc.body) } : {}),
    responses,
  };
}

/**
 * The document for the routes an app serves: `registered` holds the
 * `METHOD /path` keys fastify registered, so a declared route that an app does
 * not mount (say the actions without queues) is left out.
 */
export function openApiDocument(registered: ReadonlySet<string>): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const docs = describedRoutes()
    .filter((doc) => registered.has(routeKey(doc.method, doc.path)))
    .sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  for (const doc of docs) {
    const path = openApiPath(doc.path);
    paths[path] ??= {};
    paths[path][doc.method.toLowerCase()] = operation(doc);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Postroom API',
      version: '1',
      description:
        'Conversations, messages, approvals and agents of Postroom. Every /v1 route takes `Authorization: Bearer <api key>` (or the web app session); `x-permission` names the permission it needs.',
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'postroom_session' },
      },
      schemas: { Error: ERROR_SCHEMA },
    },
    security: [{ apiKey: [] }],
    paths,
  };
}
