import { type HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';

export interface HandlerCall {
  method?: string;
  path?: string;
  params?: Record<string, string>;
  query?: Record<string, string> | [string, string][];
  headers?: Record<string, string>;
  body?: string;
}

export interface HandlerResult {
  status: number;
  headers: Record<string, string>;
  json: any;
  logs: string[];
}

/**
 * Calls a function's exported handler the way the Functions host does: a real `HttpRequest` and
 * `InvocationContext`, with every log line the handler writes captured for assertions.
 */
export async function invokeHandler(handler: HttpHandler, call: HandlerCall = {}): Promise<HandlerResult> {
  const logs: string[] = [];
  const query = new URLSearchParams(call.query);
  const request = new HttpRequest({
    method: call.method ?? 'GET',
    url: `http://127.0.0.1:7071${call.path ?? '/api/test'}${query.size ? `?${query}` : ''}`,
    headers: call.headers ?? {},
    params: call.params ?? {},
    query: Object.fromEntries(query),
    ...(call.body === undefined ? {} : { body: { string: call.body } }),
  });
  const context = new InvocationContext({
    invocationId: 'test-invocation',
    functionName: 'test',
    logHandler: (level, ...args) => logs.push(`[${level}] ${args.map(String).join(' ')}`),
  });
  const response = await handler(request, context);
  const init = response as { status?: number; headers?: Record<string, string>; jsonBody?: unknown; body?: unknown };
  return {
    status: init.status ?? 200,
    headers: { ...init.headers },
    json: init.jsonBody,
    logs,
  };
}
