// Request validation with zod, turning the first problem into a 400 whose
// message names the field, e.g. `body.workflow_status: expected one of ...`.
import type { z } from 'zod';
import { ApiError } from './errors.ts';

export function validate<S extends z.ZodType>(
  where: 'body' | 'query' | 'params',
  schema: S,
  value: unknown,
): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.length ? `${where}.${issue.path.map(String).join('.')}` : where;
  throw new ApiError(
    'invalid_request',
    'invalid_parameter',
    `${path}: ${issue?.message ?? 'invalid'}`,
  );
}
