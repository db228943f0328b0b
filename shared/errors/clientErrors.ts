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

/**
 * RFC 6750's quoted-string for `error_description` and `scope` allows only %x20-21 / %x23-5B /
 * %x5D-7E: no `"`, no `\`, nothing outside printable ASCII. Whatever else a configured value holds
 * becomes `?`, so no value can end the quoted string or smuggle another parameter into the header.
 */
export function challengeText(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '?');
}

export class UnauthorizedError extends BrokerError {
  readonly status = 401;
  readonly code = 'Unauthorized';

  /**
   * `failedCheck` is a fixed sentence naming the check a presented token failed (from the broker's
   * own words and configuration, never from the token), so a workflow author or a connector's
   * connection test can act on it; it goes into `error_description` and the message. Without it no
   * bearer token was presented, and RFC 6750 (section 3) wants a bare `Bearer` challenge then.
   * The audit log gets the finer reason as `internal`.
   */
  constructor(failedCheck?: string, options: BrokerErrorOptions = {}) {
    super(failedCheck === undefined ? 'A valid bearer token is required.' : `A valid bearer token is required. ${failedCheck}`, {
      ...options,
      headers: {
        'WWW-Authenticate':
          failedCheck === undefined ? 'Bearer' : `Bearer error="invalid_token", error_description="${challengeText(failedCheck)}"`,
        ...options.headers,
      },
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

  /** A valid delegated token the user did not consent to the broker's scope for: RFC 6750's `insufficient_scope`. */
  static missingDelegatedScope(scope: string): ForbiddenError {
    const message = `The delegated token lacks the scope '${scope}' of the broker's app registration.`;
    return new ForbiddenError(message, {
      headers: {
        'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${challengeText(scope)}", error_description="${challengeText(message)}"`,
      },
    });
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
