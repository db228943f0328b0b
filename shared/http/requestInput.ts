import type { HttpRequest } from '@azure/functions';
import { InvalidJsonError, InvalidParameterError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';

export const MAX_BODY_BYTES = 16 * 1024;

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/**
 * The request's JSON object body: an empty body is `{}`; a larger one than 16 KiB is a 413, a
 * non-JSON content type a 415, unparsable text a 400 `InvalidJson`, and anything but an object a 400.
 */
export async function readJsonObjectBody(request: HttpRequest): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const text = bytes.toString('utf8');
  if (text.trim() === '') return {};
  if (!JSON_MEDIA_TYPE.test(request.headers.get('content-type') ?? '')) throw new UnsupportedMediaTypeError();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidJsonError();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidParameterError('body', [{ code: 'InvalidValue', target: 'body', message: 'must be a JSON object' }]);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Query parameters as an object, refusing any given more than once (the upstreams refuse them too).
 * The object has no prototype, so a parameter named `__proto__` or `constructor` is an ordinary
 * own key, which the schema then refuses as unknown like any other.
 */
export function singleValuedQuery(query: URLSearchParams): Record<string, string> {
  const values: Record<string, string> = Object.create(null);
  const repeated = new Set<string>();
  for (const [name, value] of query) {
    if (Object.hasOwn(values, name)) repeated.add(name);
    values[name] = value;
  }
  if (repeated.size > 0) {
    const details = [...repeated].map((name) => ({ code: 'Repeated', target: name, message: 'must be given at most once' }));
    throw new InvalidParameterError(details[0]?.target ?? 'query', details);
  }
  return values;
}
