import { randomUUID } from 'node:crypto';

const CALLER_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

interface HeaderSource {
  get(name: string): string | null;
}

/**
 * The caller's `x-request-id` (or `x-ms-client-request-id`) when it is safe to echo and log,
 * else a fresh UUID, so every response and log line can be tied to one request.
 */
export function resolveRequestId(headers: HeaderSource): string {
  for (const name of ['x-request-id', 'x-ms-client-request-id']) {
    const value = headers.get(name);
    if (value !== null && CALLER_REQUEST_ID.test(value)) return value;
  }
  return randomUUID();
}
