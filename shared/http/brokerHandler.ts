import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { AuditTarget, Issuance } from '../audit/auditLog';
import type { AccessControl } from '../auth/accessControl';
import type { Caller } from '../auth/caller';
import type { Operation } from '../config/configSchema';
import { BrokerError, InternalError } from '../errors';
import { broker } from '../lazyParts';
import { invocationLogger, type Logger } from '../logging/logger';
import { resolveRequestId } from './requestId';

/** `no-store` for anything that carries a token; `no-cache` for content a caller may revalidate by ETag. */
export type CacheControl = 'no-store' | 'no-cache';

export interface BrokerRequest {
  request: HttpRequest;
  context: InvocationContext;
  requestId: string;
  log: Logger;
  /** Who is calling, once authenticated (routes with an operation). */
  caller: Caller | undefined;
  /** Checks that the caller's roles cover what it asks for (and notes it for the audit log). */
  authorize(target: AuditTarget): void;
  /**
   * Counts a request that will reach the upstream against the caller's mint limit (429 beyond it);
   * returns the refund for one that turns out not to (a Key Vault hit).
   */
  chargeMint(): () => void;
  /** Records the issuance of a credential in the audit log. */
  issued(issuance: Issuance, details?: AuditTarget): void;
}

export interface BrokerHandlerOptions {
  cacheControl?: CacheControl;
  /** The operation callers need an app role for; routes without one (health, readiness) are open. */
  operation?: Operation;
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

function logServerError(log: Logger, error: BrokerError, cause: unknown): void {
  const causeText = cause instanceof Error ? `${cause.name}: ${cause.message}` : undefined;
  log.error({
    event: 'error',
    status: error.status,
    code: error.code,
    ...(error.internal === undefined ? {} : { internal: error.internal }),
    ...(causeText === undefined ? {} : { cause: causeText }),
  });
}

function toBrokerError(thrown: unknown): BrokerError {
  return thrown instanceof BrokerError ? thrown : new InternalError({ cause: thrown });
}

function errorResponse(error: BrokerError, requestId: string, log: Logger, thrown: unknown): HttpResponseInit {
  if (!error.exposesDetail) logServerError(log, error, error === thrown ? error.cause : thrown);
  return { status: error.status, headers: error.headers, jsonBody: errorBody(error, requestId) };
}

const DENIALS = new Set([401, 403, 429]);

/** Longest path value an audit event repeats: denials happen before validation, so values are unchecked. */
const AUDITED_VALUE_LENGTH = 100;

/**
 * What the request asks for, from its route values, so that a denial (which may come before any
 * validation) still names the service, gateway or authorization server. Validated values replace
 * these once the route authorizes its target.
 */
function askedFor(request: HttpRequest): AuditTarget {
  const target: AuditTarget = {};
  for (const name of ['service', 'gatewayId', 'authsid'] as const) {
    const value = request.params[name];
    if (value !== undefined) target[name] = value.slice(0, AUDITED_VALUE_LENGTH);
  }
  return target;
}

/**
 * Wraps a route's work with what every broker response shares: the request id, `Cache-Control`,
 * the caller's authentication and role (for routes with an operation), the audit of issuances
 * and denials, and the mapping of any failure to the ARM error shape.
 */
export function brokerHandler(options: BrokerHandlerOptions, handle: (call: BrokerRequest) => Promise<HttpResponseInit>): HttpHandler {
  const operation = options.operation;
  return async (request, context) => {
    const requestId = resolveRequestId(request.headers);
    const log = invocationLogger(context, requestId);
    const target: AuditTarget = askedFor(request);
    let caller: Caller | undefined;
    let response: HttpResponseInit;
    try {
      const access: AccessControl | undefined = operation === undefined ? undefined : broker().access;
      if (access && operation) {
        caller = await access.authenticator.authenticate(request, log);
        access.authorizer.grantingRoles(caller, operation);
      }
      response = await handle({
        request,
        context,
        requestId,
        log,
        caller,
        authorize: (asked) => {
          Object.assign(target, asked);
          if (access && operation && caller) access.authorizer.requireTarget(caller, operation, asked);
        },
        chargeMint: () => (access && caller ? access.mintLimiter.admit(caller.id) : () => undefined),
        issued: (issuance, details) => {
          if (access && operation) access.audit.issued(log, { caller, operation, target: { ...target, ...details }, issuance });
        },
      });
    } catch (thrown) {
      const error = toBrokerError(thrown);
      response = errorResponse(error, requestId, log, thrown);
      if (operation && DENIALS.has(error.status)) {
        broker().access.audit.denied(log, { caller, operation, target, status: error.status, reason: error.internal ?? error.message });
      }
    }
    const headers = new Headers(response.headers);
    headers.set('x-request-id', requestId);
    if (options.cacheControl) headers.set('Cache-Control', options.cacheControl);
    return { ...response, headers: Object.fromEntries(headers) };
  };
}
