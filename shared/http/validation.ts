import type { z } from 'zod';
import { type ErrorDetail, InvalidParameterError } from '../errors';

function issueDetails(issue: z.core.$ZodIssue, prefix: string | undefined): ErrorDetail[] {
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      code: 'UnknownField',
      target: [path, key].filter(Boolean).join('.'),
      message: 'is not a field this operation accepts',
    }));
  }
  return [{ code: 'InvalidValue', target: path || (prefix ?? 'body'), message: issue.message }];
}

/**
 * Validates caller input against its zod schema. Every problem becomes one `details` entry naming
 * its field; the error's `target` is the first field named.
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, prefix?: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.flatMap((issue) => issueDetails(issue, prefix));
  throw new InvalidParameterError(details[0]?.target ?? prefix ?? 'body', details);
}
