import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { InvocationContext } from '@azure/functions';
import { type BrokerError, InternalError, NotFoundError, PayloadTooLargeError } from '../../shared/errors';
import { errorBody } from '../../shared/http/brokerHandler';
import { resolveRequestId } from '../../shared/http/requestId';
import { BodyTooLargeError, readRequestBody } from '../http/requestBody';
import type { HttpRegistration } from './functionRegistry';
import { BadRequestError, MethodNotAllowedError, RequestHeaderFieldsTooLargeError, RequestTimeoutError } from './hostErrors';
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
  /** A larger body is refused with 413: at once when its Content-Length says so, else as soon as it passes the limit. */
  maxBodyBytes: number;
  extraRoutes?: ExtraRoutes;
  log: HostLog;
}

export interface RunningHttpHost {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves HTTP-triggered functions on 127.0.0.1 the way the Functions host routes and answers them.
 * Every answer carries an `x-request-id` (the broker's rule), and every answer the host gives
 * itself (unknown route, wrong method, bad request, too large, its own failure) the broker's ARM
 * error body, so a caller sees one error shape whatever refused the request.
 */
export async function startHttpHost(options: HttpHostOptions): Promise<RunningHttpHost> {
  const { routePrefix, extraRoutes, log, maxBodyBytes } = options;
  const table = new RouteTable(
    options.routes.map((registration) => ({ ...registration, template: prefixRouteTemplate(routePrefix, registration.template) })),
  );
  let origin = '';

  const serve = (req: IncomingMessage, res: ServerResponse) => {
    const requestId = requestIdOf(req);
    // A function's own x-request-id (the broker sets one) takes precedence over this one in writeHead.
    res.setHeader('x-request-id', requestId);
    void dispatch(req, res, requestId).catch((error: unknown) => {
      log('error', 'host', `Request ${req.method ?? ''} ${req.url ?? ''} (request id ${requestId}) failed: ${describeError(error)}`);
      if (res.headersSent) res.end();
      else sendError(res, new InternalError(), requestId);
    });
  };
  const server = http.createServer(serve);
  // Without this listener Node answers `Expect: 100-continue` itself, inviting a body the host will refuse.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!declaresBodyOver(req, maxBodyBytes)) res.writeContinue();
    serve(req, res);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket));

  async function dispatch(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    if (extraRoutes?.(req, res)) return;
    const url = requestUrl(req.url ?? '/', origin);
    if (!url) {
      sendError(res, new BadRequestError('The request target is not a valid URL.'), requestId);
      return;
    }
    const body = await readRequestBody(req, maxBodyBytes).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) return undefined;
      throw error;
    });
    if (!body) {
      // The unread rest of the body must not be parsed as the next request on this connection.
      sendError(res, new PayloadTooLargeError(maxBodyBytes), requestId, { connection: 'close' });
      return;
    }
    const resolution = table.resolve(req.method ?? 'GET', url.pathname);
    if (resolution.kind === 'notFound') {
      sendError(res, new NotFoundError(`The route '${url.pathname}'`), requestId);
      return;
    }
    if (resolution.kind === 'methodNotAllowed') {
      // In Azure the host answers 404 with an empty body; the local host answers what the product contract asks for.
      sendError(res, new MethodNotAllowedError(req.method ?? '', resolution.allow), requestId);
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
      // As in Azure: the caller learns only that it failed, the details go to the log.
      log('error', route.functionName, `Invocation ${context.invocationId} failed: ${describeError(error)}`);
      if (res.headersSent) res.end();
      else sendError(res, new InternalError(), requestId);
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
 * The URL of a request target. An origin-form target (`/path`) is read as a path even when it
 * starts with `//`, as Kestrel does (WHATWG would take `//x` for a host); the parser still removes
 * dot segments (`..`, `%2e%2e`), as Kestrel does before routing. Undefined when it is no URL at all.
 */
function requestUrl(target: string, origin: string): URL | undefined {
  try {
    return new URL(target.startsWith('/') ? `${origin}${target}` : target);
  } catch {
    return undefined;
  }
}

function declaresBodyOver(req: IncomingMessage, limitBytes: number): boolean {
  return Number(req.headers['content-length'] ?? 0) > limitBytes;
}

interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function errorAnswer(error: BrokerError, requestId: string, extraHeaders: Record<string, string> = {}): ErrorAnswer {
  const body = JSON.stringify(errorBody(error, requestId));
  return {
    status: error.status,
    headers: {
      ...error.headers,
      ...extraHeaders,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'x-request-id': requestId,
    },
    body,
  };
}

/** The broker's error body with its status and headers; the local control routes answer their errors with it too. */
export function sendError(res: ServerResponse, error: BrokerError, requestId: string, extraHeaders?: Record<string, string>): void {
  const { status, headers, body } = errorAnswer(error, requestId, extraHeaders);
  res.writeHead(status, headers).end(body);
}

/**
 * Node's parser refused the request (bad syntax, headers too large, too slow), so there is no
 * request or response object: the answer is written on the socket as a complete HTTP/1.1
 * response, then the connection closes, since nothing after the bad bytes can be trusted.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // Node's own handler skips the answer in these cases too: the peer is gone, or a response is under way.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const refusal = clientErrorFor(error.code);
  const { status, headers, body } = errorAnswer(refusal, resolveRequestId(UNPARSED_HEADERS), { connection: 'close' });
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

function clientErrorFor(code: string | undefined): BrokerError {
  if (code === 'HPE_HEADER_OVERFLOW') return new RequestHeaderFieldsTooLargeError();
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new RequestTimeoutError();
  return new BadRequestError('The request is not valid HTTP/1.1.');
}

/** The broker's own request-id rule, applied to Node's header map. */
function requestIdOf(req: IncomingMessage): string {
  return resolveRequestId({ get: (name) => req.headersDistinct[name]?.join(', ') ?? null });
}

/** A request Node could not parse offers no caller id to echo, so the rule gives a new one. */
const UNPARSED_HEADERS = { get: () => null };
