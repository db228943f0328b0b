import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { BrokerError, InternalError } from '../errors';
import { invocationLogger, type Logger } from '../logging/logger';
import { resolveRequestId } from './requestId';

/** `no-store` for anything that carries a token; `no-cache` for content a caller may revalidate by ETag. */
export type CacheControl = 'no-store' | 'no-cache';

export interface BrokerRequest {
  request: HttpRequest;
  context: InvocationContext;
  requestId: string;
  log: Logger;
}

export interface BrokerHandlerOptions {
  cacheControl?: CacheControl;
}

export interface ErrorBody {
  error: { code: string; message: string; target?: string; details?: { code: string; message: string; target?: string }[] };
}

/** The ARM-shaped body a caller sees. Server errors say only their fixed sentence and the request id. */
export function errorBody(error: BrokerError, requestId: string): ErrorBody {
  if (!error.exposesDetail) {
    return { error: { code: error.code, message: `${error.message} Request id: ${requestId}.` } };
  }
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.target === undefined ? {} : { target: error.target }),
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}

function logServerError(context: InvocationContext, error: BrokerError, requestId: string, cause: unknown): void {
  const causeText = cause instanceof Error ? `${cause.name}: ${cause.message}` : undefined;
  context.error(
    JSON.stringify({
      event: 'error',
      requestId,
      status: error.status,
      code: error.code,
      ...(error.internal === undefined ? {} : { internal: error.internal }),
      ...(causeText === undefined ? {} : { cause: causeText }),
    }),
  );
}

export function errorResponse(thrown: unknown, requestId: string, context: InvocationContext): HttpResponseInit {
  const error = thrown instanceof BrokerError ? thrown : new InternalError({ cause: thrown });
  if (!error.exposesDetail) logServerError(context, error, requestId, error === thrown ? error.cause : thrown);
  return { status: error.status, headers: error.headers, jsonBody: errorBody(error, requestId) };
}

/**
 * Wraps a route's work with what every broker response shares: the request id, `Cache-Control`,
 * and the mapping of any failure to the ARM error shape.
 */
export function brokerHandler(
  options: BrokerHandlerOptions,
  handle: (call: BrokerRequest) => Promise<HttpResponseInit>,
): HttpHandler {
  return async (request, context) => {
    const requestId = resolveRequestId(request.headers);
    let response: HttpResponseInit;
    try {
      response = await handle({ request, context, requestId, log: invocationLogger(context, requestId) });
    } catch (thrown) {
      response = errorResponse(thrown, requestId, context);
    }
    const headers = new Headers(response.headers);
    headers.set('x-request-id', requestId);
    if (options.cacheControl) headers.set('Cache-Control', options.cacheControl);
    return { ...response, headers: Object.fromEntries(headers) };
  };
}
