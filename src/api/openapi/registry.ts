// Each route declares itself here, next to where it registers, with the very
// zod schemas its handler validates with: the OpenAPI document (document.ts)
// is generated from these declarations, so it cannot drift from validation.
import type { z } from 'zod';
import type { Permission } from '../../config/bootstrap-schema.ts';

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDoc {
  method: HttpMethod;
  /** The full path as fastify registers it, `:name` for path parameters. */
  path: string;
  /** The permission requirePermission() checks; `public` for routes that carry their own proof. */
  permission: Permission | 'public' | 'session';
  summary: string;
  /** The schema passed to validate('body', ...). */
  body?: z.ZodType;
  /**
   * The query string: the zod schema passed to validate('query', ...), or the
   * names the route lets through rejectUnknownParams() (query.ts checks those by hand).
   */
  query?: z.ZodType | readonly string[];
  /** Status code to what the answer is; errors use the shared error shape. */
  responses: Record<number, string>;
}

const declared = new Map<string, RouteDoc>();

export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

/** Declares a route for the OpenAPI document; a second declaration of the same route is a bug. */
export function describeRoute(doc: RouteDoc): RouteDoc {
  const key = routeKey(doc.method, doc.path);
  if (declared.has(key)) throw new Error(`route ${key} is described twice`);
  declared.set(key, doc);
  return doc;
}

export function describedRoutes(): readonly RouteDoc[] {
  return [...declared.values()];
}
