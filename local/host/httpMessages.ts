import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { HttpRequest, HttpResponse } from '@azure/functions';

/**
 * The HttpRequest the Functions host would hand the function. The host passes headers and query
 * as string maps, so repeated headers arrive joined by ", " and a repeated query parameter as
 * "a,b" (azure-functions-nodejs-library#168); the raw query string stays available in `url`.
 */
export function toHttpRequest(req: IncomingMessage, url: URL, body: Buffer, params: Record<string, string>): HttpRequest {
  return new HttpRequest({
    method: req.method ?? 'GET',
    url: url.href,
    headers: joinRepeated(Object.entries(req.headersDistinct), ', '),
    query: joinRepeated(groupSearchParams(url.searchParams), ','),
    params,
    body: { bytes: body },
  });
}

/**
 * Writes what a handler returned, converting a plain HttpResponseInit through `new HttpResponse`
 * exactly as the Node.js worker does (status 200 by default, `jsonBody` serialized with
 * `content-type: application/json`, a string body as text/plain). Returning nothing gives
 * 204 No Content, the documented default of an HTTP function since Functions 2.x.
 */
export async function writeHandlerResult(res: ServerResponse, result: unknown, warn: (message: string) => void): Promise<void> {
  if (result === undefined || result === null) {
    res.writeHead(204).end();
    return;
  }
  if (typeof result !== 'object') {
    throw new TypeError('The HTTP response must be an object with optional properties "body", "status", "headers", and "cookies".');
  }
  const response = result instanceof HttpResponse ? result : new HttpResponse(result);
  if (response.cookies.length > 0) warn('the local host does not send HttpResponse.cookies; set a Set-Cookie header instead');
  const body = Buffer.from(await response.arrayBuffer());
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of response.headers) if (name !== 'set-cookie') headers[name] = value;
  const setCookies = response.headers.getSetCookie();
  if (setCookies.length > 0) headers['set-cookie'] = setCookies;
  res.writeHead(response.status, headers).end(body);
}

function groupSearchParams(searchParams: URLSearchParams): [string, string[]][] {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of searchParams) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  return [...grouped];
}

function joinRepeated(entries: [string, string[] | undefined][], separator: string): Record<string, string> {
  const joined: Record<string, string> = {};
  for (const [name, values] of entries) if (values) joined[name] = values.join(separator);
  return joined;
}
