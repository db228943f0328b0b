import { BrokerError, type BrokerErrorOptions, type ErrorDetail } from './brokerError';
import { visible } from './visibleText';

export class InvalidParameterError extends BrokerError {
  readonly status = 400;
  readonly code = 'InvalidParameter';

  /** `target` and each detail's target may be caller-chosen names (an unknown field or query parameter). */
  constructor(target: string, details: ErrorDetail[]) {
    const shown = details.map((detail) => ({
      ...detail,
      message: visible(detail.message),
      ...(detail.target === undefined ? {} : { target: visible(detail.target) }),
    }));
    const first = shown[0]?.message ?? 'is invalid';
    const more = shown.length > 1 ? ` (and ${shown.length - 1} more problem${shown.length > 2 ? 's' : ''})` : '';
    super(`Invalid '${visible(target)}': ${first}${more}`, { target: visible(target), details: shown });
  }
}

export class InvalidJsonError extends BrokerError {
  readonly status = 400;
  readonly code = 'InvalidJson';

  constructor() {
    super('The request body is not valid JSON.', { target: 'body' });
  }
}

export class ExpiryTooLongError extends BrokerError {
  readonly status = 400;
  readonly code = 'ExpiryTooLong';

  constructor(maximum: string, latestAllowed: string) {
    super(`'expiry' may be at most ${maximum} ahead (no later than ${latestAllowed}).`, { target: 'expiry' });
  }
}

export class UnknownProductError extends BrokerError {
  readonly status = 400;
  readonly code = 'UnknownProduct';

  constructor() {
    super('LicenseSpring does not know this product.', { target: 'product' });
  }
}

export class UnknownCustomerAccountError extends BrokerError {
  readonly status = 404;
  readonly code = 'UnknownCustomerAccount';

  constructor() {
    super('LicenseSpring does not know this customer account.', { target: 'customer_account_code' });
  }
}

export class UnauthorizedError extends BrokerError {
  readonly status = 401;
  readonly code = 'Unauthorized';

  /**
   * The caller learns only that a valid token is needed (RFC 6750: `invalid_token` when one was
   * sent); why it failed goes to the audit log as `internal`.
   */
  constructor(options: BrokerErrorOptions & { tokenPresented?: boolean } = {}) {
    super('A valid bearer token is required.', {
      ...options,
      headers: { 'WWW-Authenticate': options.tokenPresented ? 'Bearer error="invalid_token"' : 'Bearer', ...options.headers },
    });
  }
}

export class ForbiddenError extends BrokerError {
  readonly status = 403;
  readonly code = 'Forbidden';

  static missingRole(role: string): ForbiddenError {
    return new ForbiddenError(`The caller lacks the app role '${role}' this operation requires.`);
  }

  static outOfScope(what: string): ForbiddenError {
    return new ForbiddenError(`The caller's app roles do not cover ${visible(what)}.`);
  }
}

export class UnknownServiceError extends BrokerError {
  readonly status = 404;
  readonly code = 'UnknownService';

  constructor(alias: string) {
    super(`No API Management service is configured under the alias '${visible(alias)}'.`, { target: 'service' });
  }
}

export class NotFoundError extends BrokerError {
  readonly status = 404;
  readonly code = 'NotFound';

  constructor(resource: string, target?: string) {
    super(`${visible(resource)} was not found.`, { target });
  }
}

export class PayloadTooLargeError extends BrokerError {
  readonly status = 413;
  readonly code = 'PayloadTooLarge';

  constructor(limitBytes: number) {
    super(`The request body exceeds ${limitBytes} bytes.`, { target: 'body' });
  }
}

export class UnsupportedMediaTypeError extends BrokerError {
  readonly status = 415;
  readonly code = 'UnsupportedMediaType';

  constructor() {
    super("The request body must be sent as 'application/json'.", { target: 'Content-Type' });
  }
}

export class TooManyRequestsError extends BrokerError {
  readonly status = 429;
  readonly code = 'TooManyRequests';

  constructor(retryAfterSeconds: number) {
    super(`Too many tokens minted by this caller; retry after ${retryAfterSeconds} s.`, {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

export class RotationNotConfiguredError extends BrokerError {
  readonly status = 404;
  readonly code = 'RotationNotConfigured';

  constructor() {
    super('No rotation target is configured (BROKER_ROTATION_TARGETS).');
  }
}

export class NotARotationTargetError extends BrokerError {
  readonly status = 404;
  readonly code = 'NotARotationTarget';

  constructor(service: string, gatewayId: string) {
    super(`Gateway '${visible(gatewayId)}' of service '${visible(service)}' is not a rotation target (BROKER_ROTATION_TARGETS).`, {
      target: 'gatewayId',
    });
  }
}

export class RevokeDisabledError extends BrokerError {
  readonly status = 409;
  readonly code = 'RevokeDisabled';

  constructor() {
    super(
      'Revoke is turned off for this deployment (BROKER_ROTATION_REVOKE_ENABLED=false, usually because the broker may not regenerate gateway keys).',
    );
  }
}

export class RotationInProgressError extends BrokerError {
  readonly status = 409;
  readonly code = 'RotationInProgress';

  constructor(waitedSeconds: number) {
    super(`Another run held this target for ${waitedSeconds} s; retry once it is done.`, { headers: { 'Retry-After': '10' } });
  }
}
