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
  throw new ApiError('invalid_request', 'invalid_parameter', `${path}: ${describe(issue)}`);
}

// A body of thousands of unknown keys must not come back as an error message listing them all.
const LISTED_KEYS = 5;

function describe(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'invalid';
  if (issue.code === 'unrecognized_keys' && issue.keys.length > LISTED_KEYS) {
    const listed = issue.keys.slice(0, LISTED_KEYS).map((key) => JSON.stringify(key));
    return `Unrecognized keys: ${listed.join(', ')} and ${issue.keys.length - LISTED_KEYS} more`;
  }
  return issue.message;
}
