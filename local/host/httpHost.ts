import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvocationContext } from '@azure/functions';
import { resolveRequestId } from '../../shared/http/requestId';
import { readRequestBody } from '../http/requestBody';
import type { HttpRegistration } from './functionRegistry';
import { describeError, type HostLog, invocationLogHandler } from './hostLog';
import { toHttpRequest, writeHandlerResult } from './httpMessages';
import { RouteTable } from './routeTable';
import { prefixRouteTemplate } from './routeTemplate';

/** Consulted before function routing; returns true when it has answered the request itself. */
export type ExtraRoutes = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface HttpHostOptions {
  routes: readonly HttpRegistration[];
  routePrefix: string;
  /** 0 picks a free port. */
  port: number;
  extraRoutes?: ExtraRoutes;
  log: HostLog;
}

export interface RunningHttpHost {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves HTTP-triggered functions on 127.0.0.1 the way the Functions host routes and answers them. */
export async function startHttpHost(options: HttpHostOptions): Promise<RunningHttpHost> {
  const { routePrefix, extraRoutes, log } = options;
  const table = new RouteTable(
    options.routes.map((registration) => ({ ...registration, template: prefixRouteTemplate(routePrefix, registration.template) })),
  );
  let origin = '';

  const server = http.createServer((req, res) => {
    void dispatch(req, res).catch((error: unknown) => {
      log('error', 'host', `Request ${req.method ?? ''} ${req.url ?? ''} failed: ${describeError(error)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (extraRoutes?.(req, res)) return;
    // The WHATWG parser also removes dot segments (`..`, `%2e%2e`), as Kestrel does before routing.
    const url = new URL(req.url ?? '/', origin);
    const body = await readRequestBody(req);
    const resolution = table.resolve(req.method ?? 'GET', url.pathname);
    if (resolution.kind === 'notFound') {
      res.writeHead(404).end();
      return;
    }
    if (resolution.kind === 'methodNotAllowed') {
      sendMethodNotAllowed(req, res, resolution.allow);
      return;
    }
    const { route, params } = resolution;
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: route.functionName,
      logHandler: invocationLogHandler(log, route.functionName),
      options: { trigger: route.trigger },
    });
    try {
      const result = await route.handler(toHttpRequest(req, url, body, params), context);
      await writeHandlerResult(res, result, (message) => log('warning', route.functionName, message));
    } catch (error) {
      // As in Azure: the caller gets a bare 500, the details go to the log.
      log('error', route.functionName, `Invocation ${context.invocationId} failed: ${describeError(error)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: origin,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * In Azure a method the function does not declare gets a bare 404 (a known host behaviour); the
 * local host answers what the product contract asks for: 405, `Allow`, the broker's error shape
 * and its `x-request-id` rule, since no broker code runs for this answer.
 */
function sendMethodNotAllowed(req: IncomingMessage, res: ServerResponse, allow: readonly string[]): void {
  const body = JSON.stringify({
    error: { code: 'MethodNotAllowed', message: `The method ${req.method ?? ''} is not allowed here; allowed: ${allow.join(', ')}.` },
  });
  res
    .writeHead(405, { allow: allow.join(', '), 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestIdOf(req) })
    .end(body);
}

/** The broker's own request-id rule, applied to Node's header map. */
function requestIdOf(req: IncomingMessage): string {
  return resolveRequestId({ get: (name) => req.headersDistinct[name]?.join(', ') ?? null });
}
